//go:build integration

package cassandra

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/schemas"
)

// TestIntegrationCassandraRetriedPutsBackOff writes at a consistency the
// one-node Cassandra cannot give (THREE): each put fails as retriable
// (Unavailable, also after the driver's retries on the next node), and
// asks the worker to retry it after a backoff that doubles from put to
// put, instead of at the next offset commit.
func TestIntegrationCassandraRetriedPutsBackOff(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.t (k text PRIMARY KEY, v text)")
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{"topic.orders." + ks + ".t.mapping": "k=key, v=value", "topic.orders." + ks + ".t.consistencyLevel": "THREE"}, tc)
	rec := connectors.SinkRecord{Topic: "orders", Partition: 0, Offset: 1, Timestamp: time.Now(),
		Key: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "k1"}, Value: schemas.SchemaAndValue{Schema: schemas.StringSchema, Value: "v1"}}
	for i := range 3 {
		err := task.Put(context.Background(), []connectors.SinkRecord{rec})
		var re gocql.RequestError
		if !connectors.IsRetriable(err) || !errors.As(err, &re) || re.Code() != gocql.ErrCodeUnavailable || !strings.Contains(err.Error(), "put retried in") {
			t.Fatalf("put %d: %v, want a retriable Unavailable naming the backoff", i+1, err)
		}
	}
	if len(tc.timeouts) != 3 {
		t.Fatalf("the task asked for %d timeouts after 3 failed puts: %v", len(tc.timeouts), tc.timeouts)
	}
	for i, d := range tc.timeouts {
		top := retryBackoffMin << i
		if d <= top/2 || d > top {
			t.Errorf("backoff after failed put %d: %s, want in (%s, %s]", i+1, d, top/2, top)
		}
	}
	if len(tc.errs) != 0 {
		t.Fatalf("records reported as failed: %v", tc.errs)
	}
}
