package cassandra

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
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
