// Package file provides Apache Connect's FileStream connectors under their
// class names and settings, for trying and testing the framework without
// external systems.
package file

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/version"
	"github.com/gonnect/gonnect/schemas"
)

const (
	SinkClass   = "org.apache.kafka.connect.file.FileStreamSinkConnector"
	SourceClass = "org.apache.kafka.connect.file.FileStreamSourceConnector"
)

func init() {
	connectors.Register(connectors.Plugin{Class: SinkClass, Type: connectors.TypeSink, Version: version.ConnectAPI,
		New: func() connectors.Connector { return &SinkConnector{} }})
	connectors.Register(connectors.Plugin{Class: SourceClass, Type: connectors.TypeSource, Version: version.ConnectAPI,
		New: func() connectors.Connector { return &SourceConnector{} }})
}

var sinkDef = configdef.New().
	Define(configdef.Key{Name: "file", Type: configdef.String, Default: nil, Importance: configdef.High,
		Doc: "Destination filename. If not specified, the standard output will be used"})

var sourceDef = configdef.New().
	Define(configdef.Key{Name: "file", Type: configdef.String, Default: nil, Importance: configdef.High,
		Doc: "Source filename. If not specified, the standard input will be used"}).
	Define(configdef.Key{Name: "topic", Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High,
		Validator: configdef.NonEmptyString, Doc: "The topic to publish data to"}).
	Define(configdef.Key{Name: "batch.size", Type: configdef.Int, Default: 2000, Importance: configdef.Low,
		Doc: "The maximum number of records the source task can read from the file each time it is polled"})

// SinkConnector writes record values to a file, one per line.
type SinkConnector struct{ cfg map[string]string }

func (c *SinkConnector) Version() string              { return version.ConnectAPI }
func (c *SinkConnector) Config() *configdef.ConfigDef { return sinkDef }
func (c *SinkConnector) Start(_ context.Context, cfg map[string]string) error {
	if _, err := sinkDef.Parse(cfg); err != nil {
		return err
	}
	c.cfg = cfg
	return nil
}

// TaskConfigs gives every task the connector's config, as Connect does.
func (c *SinkConnector) TaskConfigs(max int) ([]map[string]string, error) {
	out := make([]map[string]string, max)
	for i := range out {
		out[i] = copyMap(c.cfg)
	}
	return out, nil
}
func (c *SinkConnector) Stop() error                  { return nil }
func (c *SinkConnector) NewTask() connectors.SinkTask { return &SinkTask{} }

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SinkTask appends each record's value and a newline; PreCommit syncs, so
// committed offsets are always of records on disk. Each Put is one append
// of whole lines, so tasks sharing a file never split each other's lines.
type SinkTask struct {
	mu  sync.Mutex
	f   *os.File
	out io.Writer
	buf []byte
}

func (t *SinkTask) Version() string { return version.ConnectAPI }

func (t *SinkTask) Start(_ context.Context, cfg map[string]string, _ connectors.SinkTaskContext) error {
	if name := cfg["file"]; name != "" {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("opening %s for appending: %w", name, err)
		}
		t.f, t.out = f, f
	} else {
		t.out = os.Stdout
	}
	return nil
}

func (t *SinkTask) Open(context.Context, []connectors.TopicPartition) error  { return nil }
func (t *SinkTask) Close(context.Context, []connectors.TopicPartition) error { return nil }

// Put writes the values, rendered as Connect's toString would.
func (t *SinkTask) Put(_ context.Context, records []connectors.SinkRecord) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = t.buf[:0]
	for _, r := range records {
		t.buf = append(append(t.buf, render(r.Value.Value)...), '\n')
	}
	if _, err := t.out.Write(t.buf); err != nil {
		return connectors.Retriable(fmt.Errorf("writing to file: %w", err))
	}
	return nil
}

// render prints a value like Java's toString of Connect data.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []byte:
		return fmt.Sprint(x)
	case *schemas.Struct:
		var b strings.Builder
		b.WriteString("Struct{")
		first := true
		for i, f := range x.Schema.Fields {
			if x.Values[i] == nil {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(f.Name + "=" + render(x.Values[i]))
		}
		b.WriteByte('}')
		return b.String()
	case map[string]any:
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, k+"="+render(e))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// PreCommit flushes the file so the framework commits only written records.
func (t *SinkTask) PreCommit(_ context.Context, current map[connectors.TopicPartition]int64) (map[connectors.TopicPartition]int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		if err := t.f.Sync(); err != nil {
			return nil, fmt.Errorf("syncing file: %w", err)
		}
	}
	return current, nil
}

func (t *SinkTask) Stop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		return t.f.Close()
	}
	return nil
}

// SourceConnector reads lines of a file into a topic, with one task.
type SourceConnector struct{ cfg map[string]string }

func (c *SourceConnector) Version() string              { return version.ConnectAPI }
func (c *SourceConnector) Config() *configdef.ConfigDef { return sourceDef }
func (c *SourceConnector) Start(_ context.Context, cfg map[string]string) error {
	if _, err := sourceDef.Parse(cfg); err != nil {
		return err
	}
	c.cfg = cfg
	return nil
}

// TaskConfigs returns one task: a file is read by one reader.
func (c *SourceConnector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{copyMap(c.cfg)}, nil
}
func (c *SourceConnector) Stop() error                    { return nil }
func (c *SourceConnector) NewTask() connectors.SourceTask { return &SourceTask{} }

// SourceTask emits each line with source partition {"filename": f} and
// offset {"position": byte offset after the line}, as Connect's does.
type SourceTask struct {
	file, topic string
	batch       int
	r           *bufio.Reader
	f           *os.File
	pos         int64
}

func (t *SourceTask) Version() string { return version.ConnectAPI }

func (t *SourceTask) Start(_ context.Context, cfg map[string]string, tc connectors.SourceTaskContext) error {
	vals, err := sourceDef.Parse(cfg)
	if err != nil {
		return err
	}
	t.file, t.topic, t.batch = vals.String("file"), vals.String("topic"), vals.Int("batch.size")
	if t.file == "" {
		t.r = bufio.NewReader(os.Stdin)
		return nil
	}
	off, err := tc.Offset(map[string]any{"filename": t.file})
	if err != nil {
		return fmt.Errorf("reading stored offset of %s: %w", t.file, err)
	}
	if p, ok := off["position"]; ok {
		switch n := p.(type) {
		case float64:
			t.pos = int64(n)
		case int64:
			t.pos = n
		}
	}
	return nil
}

func (t *SourceTask) open() error {
	f, err := os.Open(t.file)
	if err != nil {
		return err
	}
	if _, err := f.Seek(t.pos, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("seeking %s to %d: %w", t.file, t.pos, err)
	}
	t.f, t.r = f, bufio.NewReader(f)
	return nil
}

// Poll returns up to batch.size complete lines; a partial last line waits.
func (t *SourceTask) Poll(ctx context.Context) ([]connectors.SourceRecord, error) {
	if t.r == nil {
		if err := t.open(); err != nil {
			// The file may not exist yet: wait, as Connect's task does.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			return nil, nil
		}
	}
	var out []connectors.SourceRecord
	for len(out) < t.batch {
		line, err := t.r.ReadString('\n')
		if err != nil {
			// Unread a partial line so it is emitted once complete.
			if len(line) > 0 && t.f != nil {
				if _, serr := t.f.Seek(t.pos, io.SeekStart); serr == nil {
					t.r.Reset(t.f)
				}
			}
			break
		}
		t.pos += int64(len(line))
		out = append(out, connectors.SourceRecord{
			SourcePartition: map[string]any{"filename": t.file},
			SourceOffset:    map[string]any{"position": t.pos},
			Topic:           t.topic,
			Value:           schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: strings.TrimRight(line, "\r\n")},
		})
	}
	if len(out) == 0 {
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return out, nil
}

func (t *SourceTask) Commit(context.Context) error { return nil }

func (t *SourceTask) Stop() error {
	if t.f != nil {
		return t.f.Close()
	}
	return nil
}
