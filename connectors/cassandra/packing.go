package cassandra

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// maxPartitionsPerBatch is Cassandra's default
// unlogged_batch_across_partitions_warn_threshold: packed batches stay at
// it, so they never fill the server log with warnings.
const maxPartitionsPerBatch = 10

// Packing several partitions into one unlogged batch turns ten requests
// into one: the client and the coordinator do the per-request work once.
// It only pays when the coordinator is a replica of every partition in the
// batch; otherwise it forwards mutations and adds a network hop. So "auto"
// packs only when every node of the local datacenter holds every
// partition: a single node, or a replication factor at least the number
// of nodes (three nodes with RF 3 is a common production shape).

// everyNodeIsReplica reports whether every node the driver may route to
// (the local datacenter's, or all) is a replica of all of the keyspace's
// data, and says why for the log.
func everyNodeIsReplica(ctx context.Context, s *gocql.Session, keyspace, localDC string) (bool, string) {
	km, err := keyspaceMetadata(ctx, s, keyspace, "")
	if err != nil {
		return false, err.Error()
	}
	nodes := 0
	for _, h := range s.GetHosts() {
		if localDC == "" || h.DataCenter() == localDC {
			nodes++
		}
	}
	if nodes == 0 {
		return false, "no known node in the local datacenter"
	}
	rf := 0
	class := km.StrategyClass[strings.LastIndexByte(km.StrategyClass, '.')+1:]
	switch class {
	case "SimpleStrategy":
		rf = optInt(km.StrategyOptions["replication_factor"])
	case "NetworkTopologyStrategy":
		if localDC != "" {
			rf = optInt(km.StrategyOptions[localDC])
		} else if len(km.StrategyOptions) == 1 || (len(km.StrategyOptions) == 2 && km.StrategyOptions["class"] != nil) {
			for k, v := range km.StrategyOptions {
				if k != "class" {
					rf = optInt(v)
				}
			}
		}
	case "LocalStrategy", "EverywhereStrategy":
		rf = nodes
	}
	if rf >= nodes {
		return true, fmt.Sprintf("%s replication factor %d covers all %d nodes", class, rf, nodes)
	}
	return false, fmt.Sprintf("%s replication factor %d on %d nodes", class, rf, nodes)
}

func optInt(v any) int {
	switch x := v.(type) {
	case string:
		// Cassandra 4+ may write "3" or "3/1" (transient replicas).
		n, _ := strconv.Atoi(strings.SplitN(x, "/", 2)[0])
		return n
	case int:
		return x
	case int64:
		return int(x)
	case float64:
		return int(x)
	}
	return 0
}

// batches turns a put's writes into batches. Per table and primary key
// only the last write counts (records arrive in offset order, so the
// newest wins), except on tables where every statement counts (counters,
// custom queries). Writes are grouped by table and partition key, as an
// unlogged batch of one partition is applied as one mutation by its
// replicas, in batches of up to maxInBat writes and maxBytes bytes; tables
// that pack then join up to maxPartitionsPerBatch partitions per batch,
// never splitting a partition's batch.
//
// Sorting the writes by table, partition and key puts each partition's
// writes, and each key's duplicates, next to each other, so batches are
// runs of one slice: no maps and no copying per write.
func batches(ops []op, maxInBat, maxBytes int) []*batch {
	idx := make([]int32, len(ops))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		x, y := &ops[a], &ops[b]
		if x.w != y.w {
			return cmp.Compare(uintptr(unsafe.Pointer(x.w)), uintptr(unsafe.Pointer(y.w)))
		}
		if c := strings.Compare(x.part, y.part); c != 0 {
			return c
		}
		if c := strings.Compare(x.pk, y.pk); c != 0 {
			return c
		}
		return cmp.Compare(a, b) // offset order within a key
	})
	sorted := make([]op, 0, len(ops))
	for k, i := range idx {
		o := &ops[i]
		if k+1 < len(idx) && !o.w.keepAll {
			if n := &ops[idx[k+1]]; n.w == o.w && n.pk == o.pk {
				continue // a later write of the key follows
			}
		}
		sorted = append(sorted, *o)
	}
	var out []*batch
	var cur *batch
	start := 0 // of cur in sorted
	for s := 0; s < len(sorted); {
		w, part := sorted[s].w, sorted[s].part
		e := s + 1
		for e < len(sorted) && sorted[e].w == w && sorted[e].part == part {
			e++
		}
		// The partition's writes, in batches of its own (chunks).
		for s < e {
			c, size := s, 0
			for c < e && c-s < maxInBat && (c == s || size+sorted[c].size <= maxBytes) {
				size += sorted[c].size
				c++
			}
			if cur != nil && w.pack && cur.ops[0].w == w && len(cur.ops)+c-s <= maxInBat &&
				cur.size+size <= maxBytes && cur.parts < maxPartitionsPerBatch {
				// cur ends at s: the chunk extends it.
				cur.ops = sorted[start:c:c]
				cur.size += size
				cur.parts++
			} else {
				cur, start = &batch{ops: sorted[s:c:c], size: size, parts: 1}, s
				out = append(out, cur)
			}
			s = c
		}
	}
	return out
}
