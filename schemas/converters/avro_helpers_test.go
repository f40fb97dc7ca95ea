package converters

import (
	"math/big"

	"github.com/linkedin/goavro/v2"
)

func newCodecForTest(schema string) (*goavro.Codec, error) { return goavro.NewCodec(schema) }

func ratOf(unscaled int64, scale int64) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(unscaled), new(big.Int).Exp(big.NewInt(10), big.NewInt(scale), nil))
}
