package logging

import (
	"io"
	"log/slog"
	"slices"
	"testing"
)

// TestSetReportsChangedLoggers: like Connect 4.x, Set reports (and stamps
// last_modified on) only the loggers whose level it changed.
func TestSetReportsChangedLoggers(t *testing.T) {
	r := New(slog.NewTextHandler(io.Discard, nil), slog.LevelInfo)
	r.Logger("a.b")
	r.Logger("a.b.c")
	r.Logger("x")
	steps := []struct {
		name  string
		level string
		want  []string
	}{
		{"a", "DEBUG", []string{"a", "a.b", "a.b.c"}},
		{"a.b", "debug", []string{}}, // already DEBUG
		{"a.b.c", "WARN", []string{"a.b.c"}},
		{"new.one", "INFO", []string{}},           // new, at the level it inherits
		{"a.b.c.d", "WARN", []string{}},           // new, inherits WARN from a.b.c
		{"new.two", "ERROR", []string{"new.two"}}, // new, at another level
		{"root", "INFO", []string{"a", "a.b", "a.b.c", "a.b.c.d", "new.two"}},
	}
	for _, s := range steps {
		l, ok := ParseLevel(s.level)
		if !ok {
			t.Fatalf("level %s", s.level)
		}
		if got := r.Set(s.name, l); !slices.Equal(got, s.want) {
			t.Errorf("Set(%s, %s) = %v, want %v", s.name, s.level, got, s.want)
		}
	}
	if lv, _ := r.Get("x"); lv.LastModified != nil || lv.Level != "INFO" {
		t.Errorf("untouched logger x = %+v", lv)
	}
	if lv, _ := r.Get("a.b.c"); lv.LastModified == nil || lv.Level != "INFO" {
		t.Errorf("logger a.b.c = %+v", lv)
	}
}
