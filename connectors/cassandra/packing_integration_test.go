//go:build integration

package cassandra

import (
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/internal/stack"
)

// TestIntegrationEveryNodeIsReplica checks the topology rule behind
// crossPartitionBatching=auto on the real one-node cluster.
func TestIntegrationEveryNodeIsReplica(t *testing.T) {
	stack.RequireCassandra(t)
	c := gocql.NewCluster(stack.CassandraHosts()...)
	c.Timeout = 30 * time.Second
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
			if err := s.Query("CREATE KEYSPACE IF NOT EXISTS " + tc.keyspace + " WITH replication = " + tc.replication).Exec(); err != nil {
				t.Fatal(err)
			}
			got, why := everyNodeIsReplica(s, tc.keyspace, tc.localDC)
			if got != tc.want {
				t.Fatalf("everyNodeIsReplica = %v (%s), want %v", got, why, tc.want)
			}
		})
	}
}
