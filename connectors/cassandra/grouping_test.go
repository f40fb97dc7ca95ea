package cassandra

import (
	"fmt"
	"testing"

	"github.com/gonnect/gonnect/internal/workload"
)

// BenchmarkGroupBatches is the batch grouping of one put of the workload
// (max.poll.records=500): dedup, grouping by partition and packing, per
// record. Scenario A's partition key is the order id, B's the customer.
func BenchmarkGroupBatches(b *testing.B) {
	g := workload.Generator{Seed: 42}
	for _, sc := range []string{"A", "B"} {
		b.Run(sc, func(b *testing.B) {
			w := &tableWriter{pack: true}
			const put = 500
			ops := make([]op, put)
			for i := range ops {
				o := g.Order(uint64(i))
				part := o.OrderID + "\x00"
				if sc == "B" {
					part = fmt.Sprint(o.CustomerID) + "\x00"
				}
				ops[i] = op{w: w, pk: part + o.OrderID + "\x00", part: part, size: 300}
			}
			in := make([]op, put)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += put {
				copy(in, ops)
				if bs := batches(in, 32, 40960); len(bs) == 0 {
					b.Fatal("no batches")
				}
			}
		})
	}
}

// TestBatchesKeepTheLastWriteOfAKey: duplicates of a key leave only the
// newest write, except where every statement counts.
func TestBatchesKeepTheLastWriteOfAKey(t *testing.T) {
	for _, keepAll := range []bool{false, true} {
		w := &tableWriter{pack: true, keepAll: keepAll}
		ops := []op{{w: w, part: "a", pk: "a1", size: 1}, {w: w, part: "b", pk: "b1", size: 2}, {w: w, part: "a", pk: "a1", size: 3},
			{w: w, part: "a", pk: "a2", size: 4}, {w: w, part: "a", pk: "a1", size: 5}}
		var got []int
		for _, b := range batches(ops, 32, 40960) {
			for _, o := range b.ops {
				got = append(got, o.size)
			}
		}
		want := []int{5, 4, 2}
		if keepAll {
			want = []int{1, 3, 5, 4, 2}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("keepAll=%v: writes %v, want %v", keepAll, got, want)
		}
	}
}
