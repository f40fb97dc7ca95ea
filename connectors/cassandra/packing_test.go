package cassandra

import (
	"fmt"
	"testing"
)

func TestPack(t *testing.T) {
	packed, single := &tableWriter{pack: true}, &tableWriter{}
	mk := func(w *tableWriter, n int) *batch { return repeat(w, 1, n)[0] }
	tests := []struct {
		name     string
		in       []*batch
		maxInBat int
		maxBytes int
		want     []int // records per output batch
	}{
		{"ten partitions per batch", repeat(packed, 25, 1), 32, 40960, []int{10, 10, 5}},
		{"record bound", repeat(packed, 5, 8), 20, 40960, []int{16, 16, 8}},
		{"byte bound", repeat(packed, 6, 1), 32, 250, []int{2, 2, 2}},
		{"a full partition batch stays whole", []*batch{mk(packed, 32), mk(packed, 1)}, 32, 40960, []int{32, 1}},
		{"non-packing table passes through", repeat(single, 3, 1), 32, 40960, []int{1, 1, 1}},
		{"tables are not mixed", []*batch{mk(packed, 1), mk(single, 1), mk(packed, 1)}, 32, 40960, []int{2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			total := 0
			for _, b := range pack(tc.in, tc.maxInBat, tc.maxBytes) {
				got = append(got, len(b.ops))
				total += len(b.ops)
				w := b.ops[0].w
				for _, o := range b.ops {
					if o.w != w {
						t.Fatal("a batch mixes tables")
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("batches %v, want %v", got, tc.want)
			}
		})
	}
}

// repeat returns n per-partition batches of k records of w.
func repeat(w *tableWriter, n, k int) []*batch {
	var out []*batch
	for range n {
		b := &batch{parts: 1}
		for range k {
			b.ops = append(b.ops, op{w: w, size: 100})
			b.size += 100
		}
		out = append(out, b)
	}
	return out
}
