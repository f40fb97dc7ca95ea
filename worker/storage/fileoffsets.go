package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/gonnect/gonnect/worker"
)

// FileOffsetStore keeps source offsets of a standalone worker in a file
// (offset.storage.file.filename), rewritten atomically on every change.
type FileOffsetStore struct {
	path string
	mu   sync.Mutex
	// offsets[connector][canonical partition] = entry
	offsets map[string]map[string]fileEntry
}

type fileEntry struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// NewFileOffsetStore loads path if it exists.
func NewFileOffsetStore(path string) (*FileOffsetStore, error) {
	s := &FileOffsetStore{path: path, offsets: map[string]map[string]fileEntry{}}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading offsets file: %w", err)
	}
	var all map[string][]fileEntry
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("parsing offsets file %s: %w", path, err)
	}
	for conn, entries := range all {
		s.offsets[conn] = map[string]fileEntry{}
		for _, e := range entries {
			s.offsets[conn][canonical(e.Partition)] = e
		}
	}
	return s, nil
}

// Get returns the stored offset of a source partition, or nil.
func (s *FileOffsetStore) Get(connector string, partition map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets[connector][canonical(partition)].Offset
}

// All returns a connector's offsets sorted by partition.
func (s *FileOffsetStore) All(connector string) []worker.ConnectorOffset {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.offsets[connector]))
	for k := range s.offsets[connector] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]worker.ConnectorOffset, 0, len(keys))
	for _, k := range keys {
		e := s.offsets[connector][k]
		out = append(out, worker.ConnectorOffset{Partition: e.Partition, Offset: e.Offset})
	}
	return out
}

// Set stores offsets (nil offset: delete) and writes the file.
func (s *FileOffsetStore) Set(_ context.Context, connector string, offsets []worker.ConnectorOffset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.offsets[connector] == nil {
		s.offsets[connector] = map[string]fileEntry{}
	}
	for _, o := range offsets {
		k := canonical(o.Partition)
		if o.Offset == nil {
			delete(s.offsets[connector], k)
			continue
		}
		s.offsets[connector][k] = fileEntry{Partition: o.Partition, Offset: o.Offset}
	}
	return s.flushLocked()
}

func (s *FileOffsetStore) flushLocked() error {
	all := map[string][]fileEntry{}
	for conn, m := range s.offsets {
		for _, e := range m {
			all[conn] = append(all[conn], e)
		}
	}
	b, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("encoding offsets: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("creating offsets directory: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing offsets file: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("replacing offsets file: %w", err)
	}
	return nil
}
