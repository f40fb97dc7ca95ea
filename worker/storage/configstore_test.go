package storage

import (
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
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

// TestConfigStoreSessionKeyAndTaskCountRecords: Connect's session-key
// record (as its leader writes it) becomes the snapshot's key, malformed
// ones are skipped keeping the previous key, our encoding reads back the
// same; task commits leave a connector pending fencing until its task count
// record.
func TestConfigStoreSessionKeyAndTaskCountRecords(t *testing.T) {
	s := NewConfigStore(LogConfig{Topic: "configs", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	offset := int64(0)
	feed := func(key string, value []byte) {
		s.onRecord(Record{Key: []byte(key), Value: value, Offset: offset})
		offset++
	}
	// A record written by Apache Connect 4.3.1's leader.
	feed("session-key", []byte(`{"key":"3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w0=","algorithm":"HmacSHA256","creation-timestamp":1764660000123}`))
	k := s.Snapshot().SessionKey
	if k == nil || len(k.Material) != 32 || k.Material[0] != 0xde || k.Algorithm != "HmacSHA256" || k.Created.UnixMilli() != 1764660000123 {
		t.Fatalf("session key %+v", k)
	}
	for _, bad := range []string{`{"key":"AAAA","algorithm":"HmacSHA256"}`, `{"key":"%%%","algorithm":"HmacSHA256","creation-timestamp":1}`, `[]`, ""} {
		var v []byte
		if bad != "" {
			v = []byte(bad)
		}
		feed("session-key", v)
		if got := s.Snapshot().SessionKey; got != k {
			t.Fatalf("after %q the key is %+v, want the previous one", bad, got)
		}
	}
	next := &entities.SessionKey{Material: []byte{1, 2, 3, 4, 5}, Algorithm: "HmacSHA512", Created: time.UnixMilli(42)}
	b := encodeSessionKey(next)
	if string(b) != `{"key":"AQIDBAU=","algorithm":"HmacSHA512","creation-timestamp":42}` {
		t.Fatalf("encoded %s", b)
	}
	feed("session-key", b)
	if got := s.Snapshot().SessionKey; !reflect.DeepEqual(got, next) {
		t.Fatalf("read back %+v, want %+v", got, next)
	}

	feed("connector-src", []byte(`{"properties":{"connector.class":"FileStreamSource"}}`))
	feed("task-src-0", []byte(`{"properties":{"a":"b"}}`))
	feed("commit-src", []byte(`{"tasks":1}`))
	if snap := s.Snapshot(); !snap.PendingFencing["src"] {
		t.Fatalf("committed tasks not pending fencing: %+v", snap.PendingFencing)
	}
	feed("tasks-fencing-src", []byte(`{"task-count":1}`))
	if snap := s.Snapshot(); snap.PendingFencing["src"] || snap.TaskCountRecords["src"] != 1 {
		t.Fatalf("after the task count record: pending %v, records %v", snap.PendingFencing, snap.TaskCountRecords)
	}
}
