package cassandra

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/gonnect/gonnect/internal/workload"
)

func TestPack(t *testing.T) {
	packed, single := &tableWriter{pack: true}, &tableWriter{}
	tests := []struct {
		name     string
		in       []op
		maxInBat int
		maxBytes int
		want     []int // records per output batch
	}{
		{"ten partitions per batch", repeat(packed, 25, 1), 32, 40960, []int{10, 10, 5}},
		{"record bound", repeat(packed, 5, 8), 20, 40960, []int{16, 16, 8}},
		{"byte bound", repeat(packed, 6, 1), 32, 250, []int{2, 2, 2}},
		{"a full partition batch stays whole", slices.Concat(repeat(packed, 1, 32), repeat(packed, 1, 1)), 32, 40960, []int{32, 1}},
		{"a partition splits at the record bound", repeat(single, 1, 40), 32, 40960, []int{32, 8}},
		{"a partition splits at the byte bound", repeat(single, 1, 5), 32, 250, []int{2, 2, 1}},
		{"non-packing table passes through", repeat(single, 3, 1), 32, 40960, []int{1, 1, 1}},
		{"tables are not mixed", slices.Concat(repeat(packed, 1, 1), repeat(single, 1, 1), repeat(packed, 1, 1)), 32, 40960, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			total := 0
			for _, b := range batches(tc.in, tc.maxInBat, tc.maxBytes) {
				got = append(got, len(b.ops))
				total += len(b.ops)
				w := b.ops[0].w
				for _, o := range b.ops {
					if o.w != w {
						t.Fatal("a batch mixes tables")
					}
				}
			}
			if total != len(tc.in) {
				t.Fatalf("%d writes in batches, want %d", total, len(tc.in))
			}
			if tc.want != nil && fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("batches %v, want %v", got, tc.want)
			}
		})
	}
}

// repeat returns the writes of n partitions of k rows each of w.
func repeat(w *tableWriter, n, k int) []op {
	var out []op
	for range n {
		part := fmt.Sprintf("p%s-%d\x00", w.fqtn, partNames.Add(1))
		for r := range k {
			out = append(out, op{w: w, part: part, pk: fmt.Sprintf("%s%d\x00", part, r), size: 100})
		}
	}
	return out
}

// partNames makes every partition repeat creates a new one.
var partNames atomic.Int64

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
