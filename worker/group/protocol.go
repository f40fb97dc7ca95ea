// Package group makes workers one cluster through Kafka's group coordinator
// with Connect's group protocol (protocol type "connect"): member metadata
// and assignments are encoded exactly as Apache Connect encodes them, for
// the eager protocol "default" (v0) and the incremental cooperative ones
// "compatible" (v1) and "sessioned" (v2).
package group

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Protocol names and versions.
const (
	ProtocolEager      = "default"
	ProtocolCompatible = "compatible"
	ProtocolSessioned  = "sessioned"

	// connectorTask is the task number that stands for the connector itself.
	connectorTask = -1

	// Assignment errors.
	ErrNone           int16 = 0
	ErrConfigMismatch int16 = 1
)

func protocolVersion(name string) int16 {
	switch name {
	case ProtocolCompatible:
		return 1
	case ProtocolSessioned:
		return 2
	}
	return 0
}

// TaskID names a task.
type TaskID struct {
	Connector string
	Task      int
}

// Work is what one member runs.
type Work struct {
	Connectors []string
	Tasks      []TaskID
}

func (w Work) empty() bool { return len(w.Connectors) == 0 && len(w.Tasks) == 0 }

// Metadata is a member's JoinGroup metadata.
type Metadata struct {
	Version      int16
	URL          string
	ConfigOffset int64
	// Owned is the member's current work (v1+).
	Owned Work
}

// Assignment is what the leader gives one member in SyncGroup.
type Assignment struct {
	Version      int16
	Error        int16
	Leader       string
	LeaderURL    string
	ConfigOffset int64
	Assigned     Work
	Revoked      Work
	DelayMillis  int32
}

type writer struct{ b []byte }

func (w *writer) i16(v int16) { w.b = binary.BigEndian.AppendUint16(w.b, uint16(v)) }
func (w *writer) i32(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }
func (w *writer) i64(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }
func (w *writer) str(s string) {
	w.i16(int16(len(s)))
	w.b = append(w.b, s...)
}

type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("connect protocol: message too short")

func (r *reader) take(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = errShort
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}
func (r *reader) i16() int16 { return int16(binary.BigEndian.Uint16(r.take(2))) }
func (r *reader) i32() int32 { return int32(binary.BigEndian.Uint32(r.take(4))) }
func (r *reader) i64() int64 { return int64(binary.BigEndian.Uint64(r.take(8))) }
func (r *reader) str() string {
	n := r.i16()
	if n < 0 {
		return ""
	}
	return string(r.take(int(n)))
}

// writeWork encodes work as Connect's [connector, [tasks]] array, with the
// connector itself as task -1; empty work is an empty array, as Connect
// writes it.
func writeWork(w *writer, work Work) {
	byConn := map[string][]int32{}
	for _, c := range work.Connectors {
		byConn[c] = append(byConn[c], connectorTask)
	}
	for _, t := range work.Tasks {
		byConn[t.Connector] = append(byConn[t.Connector], int32(t.Task))
	}
	names := make([]string, 0, len(byConn))
	for n := range byConn {
		names = append(names, n)
	}
	sort.Strings(names)
	w.i32(int32(len(names)))
	for _, n := range names {
		w.str(n)
		ts := byConn[n]
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		w.i32(int32(len(ts)))
		for _, t := range ts {
			w.i32(t)
		}
	}
}

func readWork(r *reader) Work {
	var work Work
	n := r.i32()
	for i := int32(0); i < n && r.err == nil; i++ {
		conn := r.str()
		m := r.i32()
		for j := int32(0); j < m && r.err == nil; j++ {
			t := r.i32()
			if t == connectorTask {
				work.Connectors = append(work.Connectors, conn)
			} else {
				work.Tasks = append(work.Tasks, TaskID{Connector: conn, Task: int(t)})
			}
		}
	}
	return work
}

// EncodeMetadata encodes a member's metadata for the given protocol.
func EncodeMetadata(protocol string, m Metadata) []byte {
	v := protocolVersion(protocol)
	w := &writer{}
	w.i16(v)
	w.str(m.URL)
	w.i64(m.ConfigOffset)
	if v >= 1 {
		if m.Owned.empty() {
			w.i32(-1) // null allocation
		} else {
			alloc := EncodeAssignment(Assignment{Version: v, Assigned: m.Owned, Leader: "", LeaderURL: ""})
			w.i32(int32(len(alloc)))
			w.b = append(w.b, alloc...)
		}
	}
	return w.b
}

// DecodeMetadata decodes member metadata of any version.
func DecodeMetadata(b []byte) (Metadata, error) {
	r := &reader{b: b}
	m := Metadata{Version: r.i16()}
	if m.Version < 0 {
		return m, fmt.Errorf("unsupported connect metadata version %d", m.Version)
	}
	m.URL = r.str()
	m.ConfigOffset = r.i64()
	if m.Version >= 1 && len(r.b) >= 4 {
		n := r.i32()
		if n >= 0 {
			alloc, err := DecodeAssignment(r.take(int(n)))
			if err != nil {
				return m, fmt.Errorf("decoding allocation: %w", err)
			}
			m.Owned = alloc.Assigned
		}
	}
	return m, r.err
}

// EncodeAssignment encodes an assignment; its Version picks the format.
func EncodeAssignment(a Assignment) []byte {
	w := &writer{}
	w.i16(a.Version)
	w.i16(a.Error)
	w.str(a.Leader)
	w.str(a.LeaderURL)
	w.i64(a.ConfigOffset)
	if a.Version == 0 {
		writeWork(w, a.Assigned)
		return w.b
	}
	// Connect's leader writes empty arrays, never null ones: its workers
	// keep the lists they decode and add to them on the next round, which
	// fails on the immutable list a null array decodes to.
	writeWork(w, a.Assigned)
	writeWork(w, a.Revoked)
	w.i32(a.DelayMillis)
	return w.b
}

// DecodeAssignment decodes an assignment of any version.
func DecodeAssignment(b []byte) (Assignment, error) {
	r := &reader{b: b}
	a := Assignment{Version: r.i16()}
	a.Error = r.i16()
	a.Leader = r.str()
	a.LeaderURL = r.str()
	a.ConfigOffset = r.i64()
	a.Assigned = readWork(r)
	if a.Version >= 1 {
		if len(r.b) >= 4 {
			a.Revoked = readWork(r)
		}
		if len(r.b) >= 4 {
			a.DelayMillis = r.i32()
		}
	}
	return a, r.err
}
