package converters

import (
	"errors"

	"github.com/gonnect/gonnect/schemas"
)

// AvroConverter is Confluent's AvroConverter (see avro_*.go).
type AvroConverter struct{}

var errAvroNotReady = errors.New("io.confluent.connect.avro.AvroConverter is not available in this build yet")

// Configure implements schemas.Converter.
func (*AvroConverter) Configure(map[string]string, bool) error { return errAvroNotReady }

// ToConnect implements schemas.Converter.
func (*AvroConverter) ToConnect(string, []byte) (schemas.SchemaAndValue, error) {
	return schemas.SchemaAndValue{}, errAvroNotReady
}

// FromConnect implements schemas.Converter.
func (*AvroConverter) FromConnect(string, *schemas.Schema, any) ([]byte, error) {
	return nil, errAvroNotReady
}
