package cassandra

import (
	"errors"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// TestNowValue: now() is a new time UUID for uuid and timeuuid columns,
// and DataStax's no-codec failure for any other type.
func TestNowValue(t *testing.T) {
	native := func(t gocql.Type) gocql.TypeInfo { return gocql.NewNativeType(4, t, "") }
	cases := []struct {
		typ     gocql.TypeInfo
		wantErr string
	}{
		{typ: native(gocql.TypeTimeUUID)},
		{typ: native(gocql.TypeUUID)},
		{typ: native(gocql.TypeTimestamp), wantErr: "Codec not found for requested operation: [TIMESTAMP <-> java.util.UUID]"},
		{typ: native(gocql.TypeDate), wantErr: "Codec not found for requested operation: [DATE <-> java.util.UUID]"},
		{typ: native(gocql.TypeVarchar), wantErr: "Codec not found for requested operation: [TEXT <-> java.util.UUID]"},
		{typ: native(gocql.TypeBigInt), wantErr: "Codec not found for requested operation: [BIGINT <-> java.util.UUID]"},
	}
	for _, c := range cases {
		a, errA := nowValue(c.typ)
		b, errB := nowValue(c.typ)
		if c.wantErr != "" {
			var me *mappingError
			if !errors.As(errA, &me) || me.Error() != c.wantErr || me.ExceptionClass() != classCodecNotFound || errB == nil {
				t.Errorf("%v: error %v, want %q (%s)", c.typ.Type(), errA, c.wantErr, classCodecNotFound)
			}
			continue
		}
		if errA != nil || errB != nil || a.Version() != 1 || b.Version() != 1 || a == b {
			t.Errorf("%v: %v, %v (%v, %v); want two distinct time UUIDs", c.typ.Type(), a, b, errA, errB)
		}
	}
}
