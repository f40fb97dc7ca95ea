package cassandra

import (
	"bytes"
	"math"
	"math/big"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// TestAppendVarint: the direct path's varint bytes are the driver's for
// the same number, at every byte-length boundary.
func TestAppendVarint(t *testing.T) {
	varint := gocql.NewNativeType(4, gocql.TypeVarint, "")
	ns := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32}
	for shift := range 63 {
		p := int64(1) << shift
		ns = append(ns, p, p-1, p+1, -p, -p-1, -p+1)
	}
	for _, n := range ns {
		want, err := gocql.Marshal(varint, big.NewInt(n))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendVarint([]byte{9}, n); !bytes.Equal(got[1:], want) || got[0] != 9 {
			t.Errorf("appendVarint(%d) = %x, want %x after the prefix", n, got, want)
		}
	}
}
