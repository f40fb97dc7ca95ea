package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
)

// Formats are the output formats a worker writes its log in.
var Formats = []string{"text", "json"}

// Output is a handler whose format (text or JSON) can be chosen after
// loggers were handed out: the worker logs before it has read its
// properties, which may choose the format.
type Output struct {
	cur   *atomic.Pointer[slog.Handler]
	w     io.Writer
	opts  *slog.HandlerOptions
	steps []func(slog.Handler) slog.Handler // WithAttrs/WithGroup, in order
}

// NewOutput writes to w in format (text or json).
func NewOutput(w io.Writer, format string, opts *slog.HandlerOptions) (*Output, error) {
	o := &Output{cur: new(atomic.Pointer[slog.Handler]), w: w, opts: opts}
	return o, o.SetFormat(format)
}

// SetFormat switches every logger of this output to format.
func (o *Output) SetFormat(format string) error {
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", "text":
		h = slog.NewTextHandler(o.w, o.opts)
	case "json":
		h = slog.NewJSONHandler(o.w, o.opts)
	default:
		return fmt.Errorf("unknown log format %q (text or json)", format)
	}
	o.cur.Store(&h)
	return nil
}

func (o *Output) handler() slog.Handler {
	h := *o.cur.Load()
	for _, s := range o.steps {
		h = s(h)
	}
	return h
}

// Enabled implements slog.Handler.
func (o *Output) Enabled(ctx context.Context, l slog.Level) bool {
	return (*o.cur.Load()).Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (o *Output) Handle(ctx context.Context, r slog.Record) error { return o.handler().Handle(ctx, r) }

// WithAttrs implements slog.Handler.
func (o *Output) WithAttrs(a []slog.Attr) slog.Handler {
	return o.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(a) })
}

// WithGroup implements slog.Handler.
func (o *Output) WithGroup(g string) slog.Handler {
	return o.with(func(h slog.Handler) slog.Handler { return h.WithGroup(g) })
}

func (o *Output) with(step func(slog.Handler) slog.Handler) *Output {
	c := *o
	c.steps = append(append([]func(slog.Handler) slog.Handler(nil), o.steps...), step)
	return &c
}
