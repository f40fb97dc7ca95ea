package storage

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
)

type recordingListener struct {
	mu      sync.Mutex
	changes int
	loggers []string // namespace=level
}

func (l *recordingListener) ConfigChanged()                      { l.mu.Lock(); l.changes++; l.mu.Unlock() }
func (l *recordingListener) RestartRequested(string, bool, bool) {}
func (l *recordingListener) LoggerLevelChanged(namespace, level string) {
	l.mu.Lock()
	l.loggers = append(l.loggers, namespace+"="+level)
	l.mu.Unlock()
}

// TestConfigStoreLoggerRecords: cluster logger levels (KIP-976) in Connect's
// record format reach the listener only once the store has started, and
// never count as config changes.
func TestConfigStoreLoggerRecords(t *testing.T) {
	s := NewConfigStore(LogConfig{Topic: "configs", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	l := &recordingListener{}
	s.SetListener(l)
	offset := int64(0)
	feed := func(key, value string) {
		var v []byte
		if value != "" {
			v = []byte(value)
		}
		s.onRecord(Record{Key: []byte(key), Value: v, Offset: offset})
		offset++
	}
	// Read while starting: history, not applied (a restart resets levels).
	feed("logger-cluster-org.apache.kafka.connect", `{"level":"DEBUG"}`)
	s.started = true
	feed("logger-cluster-org.apache.kafka.connect.runtime.WorkerSinkTask", `{"level":"debug"}`)
	feed("logger-cluster-root", `{"level":"WARN"}`)
	// Malformed values are skipped, as Connect logs and ignores them.
	feed("logger-cluster-x", "")
	feed("logger-cluster-x", `{"level":3}`)
	feed("logger-cluster-x", `{}`)

	want := []string{"org.apache.kafka.connect.runtime.WorkerSinkTask=debug", "root=WARN"}
	if !slices.Equal(l.loggers, want) {
		t.Fatalf("listener heard %v, want %v", l.loggers, want)
	}
	if got := s.Snapshot().Offset; got != offset {
		t.Fatalf("snapshot offset %d, want %d (every record counts)", got, offset)
	}
}

// TestConfigStoreLoggerValue pins the record Connect writes: key
// logger-cluster-<namespace>, value {"level":...} as the user spelled it.
func TestConfigStoreLoggerValue(t *testing.T) {
	st := newConfigState()
	lv := "debug"
	ev, err := st.apply("logger-cluster-a.b", mustJSON(t, loggerValue{Level: &lv}), 1)
	if err != nil || ev.logger == nil || *ev.logger != (loggerLevel{namespace: "a.b", level: "debug"}) {
		t.Fatalf("apply = %+v, %v", ev, err)
	}
	if got := string(mustJSON(t, loggerValue{Level: &lv})); got != `{"level":"debug"}` {
		t.Fatalf("value = %s", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
