package cassandra

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
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

// batches turns a put's writes into batches. Writes of one table and
// primary key that a later write of the same key makes invisible are
// dropped (see shadowed), except on tables where every statement counts
// (counters, custom queries). Writes are grouped by table and partition
// key, as an unlogged batch of one partition is applied as one mutation by
// its replicas, in batches of up to maxInBat writes and maxBytes bytes;
// tables that pack then join up to maxPartitionsPerBatch partitions per
// batch, never splitting a partition's batch.
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
		return cmp.Compare(a, b) // put order within a key
	})
	sorted := make([]op, 0, len(ops))
	var keep []bool
	for k := 0; k < len(idx); {
		o := &ops[idx[k]]
		e := k + 1
		for e < len(idx) && ops[idx[e]].w == o.w && ops[idx[e]].pk == o.pk {
			e++
		}
		if e == k+1 || o.w.keepAll {
			for ; k < e; k++ {
				sorted = append(sorted, ops[idx[k]])
			}
			continue
		}
		keep = shadowed(ops, idx[k:e], keep[:0])
		for j := k; j < e; j++ {
			if keep[j-k] {
				sorted = append(sorted, ops[idx[j]])
			}
		}
		k = e
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

// shadowed decides which writes of one primary key (run, in put order) to
// send: a write is left out only when the later writes of the key make
// every cell it writes invisible, so the table ends as if every record had
// been written on its own, in order, as the DataStax connector does,
// including TTL() and WRITETIME() of each column. That is so when a later
// delete has a write time at least the write's (a tombstone wins ties), or
// when later inserts with greater write times set every column the write
// sets (an expired cell still shadows older ones). A write whose columns
// are not all covered is kept with its own write time and TTL: an unset
// column keeps the earlier record's value, as it would in Cassandra. keep
// is reused and returned with one entry per write of run.
func shadowed(ops []op, run []int32, keep []bool) []bool {
	keep = slices.Grow(keep, len(run))[:len(run)]
	const none = math.MinInt64
	// Of the later writes: the greatest delete and insert write times, the
	// greatest write time of an insert setting every column, and per
	// column (of the first 64) the greatest write time setting it.
	delTs, insTs, fullTs := int64(none), int64(none), int64(none)
	var colTs [64]int64
	for i := range colTs {
		colTs[i] = none
	}
	for j := len(run) - 1; j >= 0; j-- {
		o := &ops[run[j]]
		switch {
		case delTs >= o.ts:
			keep[j] = false
		case o.del:
			keep[j] = true
		case fullTs > o.ts:
			keep[j] = false
		default:
			covered := insTs > o.ts && len(o.w.cols) <= 64
			for set := o.set; covered && set != 0; set &= set - 1 {
				covered = colTs[bits.TrailingZeros64(set)] > o.ts
			}
			keep[j] = !covered
		}
		if !keep[j] {
			continue
		}
		if o.del {
			delTs = max(delTs, o.ts)
			continue
		}
		insTs = max(insTs, o.ts)
		if !o.partial {
			fullTs = max(fullTs, o.ts)
		}
		for set := o.set; set != 0; set &= set - 1 {
			c := bits.TrailingZeros64(set)
			colTs[c] = max(colTs[c], o.ts)
		}
	}
	return keep
}
