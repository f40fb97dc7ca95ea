package storage

import (
	"encoding/json"
	"sort"

	"github.com/gonnect/gonnect/worker/entities"
)

// offsetTable holds source offsets by connector and source partition; the
// offset topic store and the standalone file store both keep one.
type offsetTable map[string]map[string]entities.ConnectorOffset

// canonical renders a partition map as sorted-key JSON (encoding/json sorts
// map keys), the identity of a source partition.
func canonical(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func (t offsetTable) get(connector string, partition map[string]any) map[string]any {
	return t[connector][canonical(partition)].Offset
}

// put stores an offset; a nil offset deletes the partition's.
func (t offsetTable) put(connector string, o entities.ConnectorOffset) {
	k := canonical(o.Partition)
	if o.Offset == nil {
		delete(t[connector], k)
		return
	}
	if t[connector] == nil {
		t[connector] = map[string]entities.ConnectorOffset{}
	}
	t[connector][k] = o
}

// all returns a connector's offsets sorted by partition.
func (t offsetTable) all(connector string) []entities.ConnectorOffset {
	keys := make([]string, 0, len(t[connector]))
	for k := range t[connector] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]entities.ConnectorOffset, 0, len(keys))
	for _, k := range keys {
		out = append(out, t[connector][k])
	}
	return out
}
