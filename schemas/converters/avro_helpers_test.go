package converters

import (
	"math/big"
	"testing"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/gonnect/gonnect/internal/workload"
)

func newCodecForTest(schema string) (*goavro.Codec, error) { return goavro.NewCodec(schema) }

func ratOf(unscaled int64, scale int64) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(unscaled), new(big.Int).Exp(big.NewInt(10), big.NewInt(scale), nil))
}

// workloadRecords encodes n benchmark-workload orders in the Confluent wire
// format and returns them with a converter that decodes them.
func workloadRecords(tb testing.TB, n int) ([][]byte, *AvroConverter) {
	reg := srfake.New()
	tb.Cleanup(reg.Close)
	enc, dec := &AvroConverter{}, &AvroConverter{}
	for _, c := range []*AvroConverter{enc, dec} {
		if err := c.Configure(map[string]string{"schema.registry.url": reg.URL()}, false); err != nil {
			tb.Fatal(err)
		}
	}
	g := workload.Generator{Seed: 42}
	raw := make([][]byte, n)
	for i := range raw {
		v, err := enc.FromConnect(workload.Topic, workload.ConnectSchema, g.Order(uint64(i)).Struct())
		if err != nil {
			tb.Fatal(err)
		}
		raw[i] = v
	}
	// Warm the schema cache so a benchmark measures decoding only.
	if _, err := dec.ToConnect(workload.Topic, raw[0]); err != nil {
		tb.Fatal(err)
	}
	return raw, dec
}
