// Package logging keeps named loggers whose levels can be read and changed
// at run time, which the REST API exposes as Connect's /admin/loggers.
package logging

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Registry holds logger levels by name; a logger's effective level is the
// one of its nearest named ancestor ("a.b.c" inherits from "a.b"), then root.
type Registry struct {
	mu      sync.Mutex
	base    slog.Handler
	root    *slog.LevelVar
	levels  map[string]*entry
	changed map[string]int64
}

type entry struct {
	level *slog.LevelVar
	set   bool // explicitly set, not inherited
}

// RootName is the root logger's name, as Connect calls it.
const RootName = "root"

// New returns a registry writing through base at the given root level.
func New(base slog.Handler, root slog.Level) *Registry {
	r := &Registry{base: base, root: new(slog.LevelVar), levels: map[string]*entry{}, changed: map[string]int64{}}
	r.root.Set(root)
	return r
}

// Logger returns the named logger.
func (r *Registry) Logger(name string) *slog.Logger {
	r.mu.Lock()
	e, ok := r.levels[name]
	if !ok {
		e = &entry{level: new(slog.LevelVar)}
		e.level.Set(r.effective(name))
		r.levels[name] = e
	}
	r.mu.Unlock()
	return slog.New(&levelHandler{Handler: r.base, level: e.level}).With("logger", name)
}

func (r *Registry) effective(name string) slog.Level {
	for n := name; n != ""; {
		if e, ok := r.levels[n]; ok && e.set {
			return e.level.Level()
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return r.root.Level()
}

// Level is a logger's level in log4j terms with when it was last set.
type Level struct {
	Level        string `json:"level"`
	LastModified *int64 `json:"last_modified"`
}

// Levels returns every known logger and the root.
func (r *Registry) Levels() map[string]Level {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]Level{RootName: {Level: Log4jName(r.root.Level()), LastModified: r.lastModified(RootName)}}
	for n, e := range r.levels {
		out[n] = Level{Level: Log4jName(e.level.Level()), LastModified: r.lastModified(n)}
	}
	return out
}

// Get returns one logger's level.
func (r *Registry) Get(name string) (Level, bool) {
	l, ok := r.Levels()[name]
	return l, ok
}

func (r *Registry) lastModified(name string) *int64 {
	if t, ok := r.changed[name]; ok {
		return &t
	}
	return nil
}

// Set sets the level of name and its descendants and returns the names of
// the loggers whose level it changed, sorted; as in Connect 4.x, only those
// get a new last_modified time (setting a logger to its current level
// reports nothing).
func (r *Registry) Set(name string, level slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now().UnixMilli()
	affected := []string{} // Connect answers [] when nothing changed
	change := func(n string, v *slog.LevelVar) {
		if v.Level() != level {
			v.Set(level)
			r.changed[n] = now
			affected = append(affected, n)
		}
	}
	if name == RootName {
		change(RootName, r.root)
		for n, e := range r.levels {
			change(n, e.level)
			e.set = false
		}
	} else {
		if _, ok := r.levels[name]; !ok {
			// Created first at the level it inherits, as Connect looks the
			// logger up before comparing: it changes only if that differs.
			e := &entry{level: new(slog.LevelVar)}
			e.level.Set(r.effective(name))
			r.levels[name] = e
		}
		for n, e := range r.levels {
			if n == name || strings.HasPrefix(n, name+".") {
				change(n, e.level)
				e.set = n == name || e.set
			}
		}
	}
	sort.Strings(affected)
	return affected
}

// ParseLevel reads a log4j level name.
func ParseLevel(s string) (slog.Level, bool) {
	switch strings.ToUpper(s) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug, true
	case "INFO":
		return slog.LevelInfo, true
	case "WARN":
		return slog.LevelWarn, true
	case "ERROR", "FATAL":
		return slog.LevelError, true
	case "OFF":
		return slog.LevelError + 100, true
	}
	return 0, false
}

// Log4jName names a slog level as log4j would.
func Log4jName(l slog.Level) string {
	switch {
	case l >= slog.LevelError+100:
		return "OFF"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

type levelHandler struct {
	slog.Handler
	level *slog.LevelVar
}

func (h *levelHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }
func (h *levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return &levelHandler{Handler: h.Handler.WithAttrs(a), level: h.level}
}
func (h *levelHandler) WithGroup(g string) slog.Handler {
	return &levelHandler{Handler: h.Handler.WithGroup(g), level: h.level}
}

// ContextKey is the attribute holding a line's connector context, the key
// of Connect's log4j MDC entry.
const ContextKey = "connector.context"

// TaskContext is Connect's connector context of a task: "[name|task-0] ".
func TaskContext(connector string, task int) string {
	return "[" + connector + "|task-" + strconv.Itoa(task) + "] "
}

// WithContext returns a logger whose lines carry ctx (TaskContext) as
// Connect's log4j layouts print it: before the message, and as the
// connector.context attribute for JSON output. Levels stay the logger's.
func WithContext(l *slog.Logger, ctx string) *slog.Logger {
	if ctx == "" {
		return l
	}
	return slog.New(&contextHandler{Handler: l.Handler().WithAttrs([]slog.Attr{slog.String(ContextKey, ctx)}), prefix: ctx})
}

type contextHandler struct {
	slog.Handler
	prefix string
}

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.prefix+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { out.AddAttrs(a); return true })
	return h.Handler.Handle(ctx, out)
}

func (h *contextHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return &contextHandler{Handler: h.Handler.WithAttrs(a), prefix: h.prefix}
}

func (h *contextHandler) WithGroup(g string) slog.Handler {
	return &contextHandler{Handler: h.Handler.WithGroup(g), prefix: h.prefix}
}
