package storage

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gonnect/gonnect/worker/entities"
)

func TestFileOffsetStoreSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "offsets")
	s, err := NewFileOffsetStore(path)
	if err != nil {
		t.Fatal(err)
	}
	p1 := map[string]any{"filename": "/a"}
	p2 := map[string]any{"filename": "/b"}
	if err := s.Set(context.Background(), "c", []entities.ConnectorOffset{{Partition: p1, Offset: map[string]any{"position": 10.0}}, {Partition: p2, Offset: map[string]any{"position": 3.0}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(context.Background(), "c", []entities.ConnectorOffset{{Partition: p2}}); err != nil {
		t.Fatal(err)
	}
	s2, err := NewFileOffsetStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Get("c", p1); got["position"] != 10.0 {
		t.Fatalf("offset of /a after restart = %v", got)
	}
	if got := s2.Get("c", p2); got != nil {
		t.Fatalf("deleted offset came back: %v", got)
	}
	if all := s2.All("c"); len(all) != 1 {
		t.Fatalf("All = %v", all)
	}
}
