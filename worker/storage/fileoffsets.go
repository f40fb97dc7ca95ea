package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gonnect/gonnect/worker/entities"
)

// FileOffsetStore keeps source offsets of a standalone worker in a file
// (offset.storage.file.filename), rewritten atomically on every change.
type FileOffsetStore struct {
	path    string
	mu      sync.Mutex
	offsets offsetTable
}

// NewFileOffsetStore loads path if it exists.
func NewFileOffsetStore(path string) (*FileOffsetStore, error) {
	s := &FileOffsetStore{path: path, offsets: offsetTable{}}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading offsets file: %w", err)
	}
	var all map[string][]entities.ConnectorOffset
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("parsing offsets file %s: %w", path, err)
	}
	for conn, entries := range all {
		for _, e := range entries {
			s.offsets.put(conn, e)
		}
	}
	return s, nil
}

// Get returns the stored offset of a source partition, or nil.
func (s *FileOffsetStore) Get(connector string, partition map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets.get(connector, partition)
}

// All returns a connector's offsets sorted by partition.
func (s *FileOffsetStore) All(connector string) []entities.ConnectorOffset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets.all(connector)
}

// Set stores offsets (nil offset: delete) and writes the file.
func (s *FileOffsetStore) Set(_ context.Context, connector string, offsets []entities.ConnectorOffset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range offsets {
		s.offsets.put(connector, o)
	}
	return s.flushLocked()
}

func (s *FileOffsetStore) flushLocked() error {
	all := map[string][]entities.ConnectorOffset{}
	for conn := range s.offsets {
		all[conn] = s.offsets.all(conn)
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
