package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestTaskContextInTextAndJSON(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			out, err := NewOutput(&buf, "text", &slog.HandlerOptions{Level: slog.LevelDebug})
			if err != nil {
				t.Fatal(err)
			}
			reg := New(out, slog.LevelInfo)
			// The format chosen after the loggers exist applies to them.
			if err := out.SetFormat(format); err != nil {
				t.Fatal(err)
			}
			l := WithContext(reg.Logger("com.example.SinkTask").With("connector", "my-sink"), TaskContext("my-sink", 0))
			l.Info("Starting", "n", 1)
			l.Debug("hidden below INFO")
			reg.Set("com.example", slog.LevelDebug)
			l.Debug("shown at DEBUG")
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("got %d lines, want 2 (levels from the registry):\n%s", len(lines), buf.String())
			}
			for i, msg := range []string{"[my-sink|task-0] Starting", "[my-sink|task-0] shown at DEBUG"} {
				if format == "json" {
					var m map[string]any
					if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
						t.Fatalf("line %q: %v", lines[i], err)
					}
					if m["msg"] != msg || m[ContextKey] != "[my-sink|task-0] " || m["connector"] != "my-sink" || m["logger"] != "com.example.SinkTask" {
						t.Errorf("line %v lacks the connector context", m)
					}
				} else if !strings.Contains(lines[i], `msg="`+msg+`"`) || !strings.Contains(lines[i], `connector.context="[my-sink|task-0] "`) {
					t.Errorf("line %q lacks the connector context", lines[i])
				}
			}
		})
	}
	if _, err := NewOutput(&bytes.Buffer{}, "xml", nil); err == nil {
		t.Error("format xml accepted")
	}
}
