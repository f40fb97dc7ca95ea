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

// TestBatchesDropOnlyHiddenWrites: of the writes of one key, only those
// that later writes hide completely are left out, so every column ends
// with the value, write time and TTL of the last record that set it.
func TestBatchesDropOnlyHiddenWrites(t *testing.T) {
	w := &tableWriter{pack: true, cols: make([]column, 4)} // id, a, b, c
	const id, a, b, c = 1 << 0, 1 << 1, 1 << 2, 1 << 3
	ins := func(size int, ts int64, set uint64) op {
		return op{w: w, part: "k", pk: "k", size: size, ts: ts, set: set, partial: set != id|a|b|c}
	}
	del := func(size int, ts int64) op {
		return op{w: w, part: "k", pk: "k", size: size, ts: ts, del: true, set: id}
	}
	tests := []struct {
		name string
		in   []op
		want []int // sizes of the writes sent, in order
	}{
		{"a later full write hides an earlier one", []op{ins(1, 10, id|a|b|c), ins(2, 11, id|a|b|c)}, []int{2}},
		{"an unset column keeps the earlier value", []op{ins(1, 10, id|a|b|c), ins(2, 11, id|a|c)}, []int{1, 2}},
		{"a later partial write covering the columns hides", []op{ins(1, 10, id|a), ins(2, 11, id|a|b)}, []int{2}},
		{"later writes together cover the columns", []op{ins(1, 10, id|a|b), ins(2, 11, id|a), ins(3, 12, id|b)}, []int{2, 3}},
		{"a later write with an older write time hides nothing", []op{ins(1, 10, id|a|b|c), ins(2, 9, id|a|b|c)}, []int{1, 2}},
		{"a later delete hides earlier writes", []op{ins(1, 10, id|a|b|c), ins(2, 11, id|a), del(3, 12)}, []int{3}},
		{"writes after a delete start from it", []op{ins(1, 10, id|a|b|c), del(2, 11), ins(3, 12, id|a)}, []int{2, 3}},
		{"a full write after a delete keeps the delete", []op{del(1, 11), ins(2, 12, id|a|b|c)}, []int{1, 2}},
		{"an older delete hides nothing", []op{ins(1, 10, id|a), del(2, 9)}, []int{1, 2}},
		{"a later delete hides an earlier one", []op{del(1, 10), del(2, 11)}, []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, bt := range batches(tc.in, 32, 40960) {
				for _, o := range bt.ops {
					got = append(got, o.size)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("writes %v, want %v", got, tc.want)
			}
		})
	}
	// Where every statement counts, nothing is dropped; other keys keep
	// their order by partition.
	all := &tableWriter{pack: true, keepAll: true}
	ops := []op{{w: all, part: "a", pk: "a1", size: 1, ts: 1}, {w: all, part: "b", pk: "b1", size: 2, ts: 2},
		{w: all, part: "a", pk: "a1", size: 3, ts: 3}, {w: all, part: "a", pk: "a2", size: 4, ts: 4}}
	var got []int
	for _, bt := range batches(ops, 32, 40960) {
		for _, o := range bt.ops {
			got = append(got, o.size)
		}
	}
	if fmt.Sprint(got) != "[1 3 4 2]" {
		t.Errorf("keepAll: writes %v, want [1 3 4 2]", got)
	}
}
