package cassandra

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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

// pack merges per-partition batches of packing tables into batches of up
// to maxInBat records, maxBytes bytes and maxPartitionsPerBatch partitions;
// other tables' batches pass through.
func pack(bs []*batch, maxInBat, maxBytes int) []*batch {
	out := bs[:0:0]
	open := map[*tableWriter]*batch{}
	for _, b := range bs {
		w := b.ops[0].w
		if !w.pack {
			out = append(out, b)
			continue
		}
		cur := open[w]
		if cur != nil && (len(cur.ops)+len(b.ops) > maxInBat || cur.size+b.size > maxBytes || cur.parts >= maxPartitionsPerBatch) {
			cur = nil
		}
		if cur == nil {
			cur = &batch{}
			open[w] = cur
			out = append(out, cur)
		}
		cur.ops = append(cur.ops, b.ops...)
		cur.size += b.size
		cur.parts++
	}
	return out
}
