//go:build integration

package cassandra

import (
	"context"
	"testing"
	"time"
)

// TestIntegrationEveryNodeIsReplica checks the topology rule behind
// crossPartitionBatching=auto on the real one-node cluster.
func TestIntegrationEveryNodeIsReplica(t *testing.T) {
	s := session(t)
	tests := []struct {
		keyspace, replication, localDC string
		want                           bool
	}{
		{"pack_simple", "{'class':'SimpleStrategy','replication_factor':1}", "", true},
		{"pack_nts_local", "{'class':'NetworkTopologyStrategy','datacenter1':1}", "datacenter1", true},
		{"pack_nts_any", "{'class':'NetworkTopologyStrategy','datacenter1':1}", "", true},
		{"pack_nts_other_dc", "{'class':'NetworkTopologyStrategy','datacenter1':1}", "dc2", false},
	}
	for _, tc := range tests {
		t.Run(tc.keyspace, func(t *testing.T) {
			// A fresh keyspace each run: the driver's schema cache learns
			// of it a moment after CREATE returns.
			if err := s.Query("DROP KEYSPACE IF EXISTS " + tc.keyspace).Exec(); err != nil {
				t.Fatal(err)
			}
			if err := s.Query("CREATE KEYSPACE " + tc.keyspace + " WITH replication = " + tc.replication).Exec(); err != nil {
				t.Fatal(err)
			}
			got, why := everyNodeIsReplica(context.Background(), s, tc.keyspace, tc.localDC)
			if got != tc.want {
				t.Fatalf("everyNodeIsReplica = %v (%s), want %v", got, why, tc.want)
			}
		})
	}
}

// TestIntegrationSchemaJustCreated checks that a table created just before
// a task starts is found although the driver's cache learns of it late,
// and that a table the cluster lacks fails at once.
func TestIntegrationSchemaJustCreated(t *testing.T) {
	s := session(t)
	ctx := context.Background()
	for _, q := range []string{
		"DROP KEYSPACE IF EXISTS fresh_schema",
		"CREATE KEYSPACE fresh_schema WITH replication = {'class':'SimpleStrategy','replication_factor':1}",
		"CREATE TABLE fresh_schema.t (id int PRIMARY KEY, v text)",
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		keyspace, table string
		wantErr         string
	}{
		{"fresh_schema", "t", ""},
		{"fresh_schema", "", ""},
		{"fresh_schema", "missing", "table fresh_schema.missing does not exist"},
		{"no_such_keyspace", "t", "keyspace no_such_keyspace does not exist"},
		{"no_such_keyspace", "", "keyspace no_such_keyspace does not exist"},
	}
	for _, tc := range tests {
		start := time.Now()
		km, err := keyspaceMetadata(ctx, s, tc.keyspace, tc.table)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s.%s: %v", tc.keyspace, tc.table, err)
		case tc.wantErr == "" && tc.table != "" && km.Tables[tc.table] == nil:
			t.Errorf("%s.%s: metadata without the table", tc.keyspace, tc.table)
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("%s.%s: error %v, want %q", tc.keyspace, tc.table, err, tc.wantErr)
		case tc.wantErr != "" && time.Since(start) > 5*time.Second:
			t.Errorf("%s.%s: a missing table took %v to fail", tc.keyspace, tc.table, time.Since(start))
		}
	}
}
