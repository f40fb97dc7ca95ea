package cassandra

import (
	"context"
	"fmt"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// schemaLag bounds how long a task waits for the driver's schema cache to
// catch up with a keyspace or table the cluster already has.
const schemaLag = 15 * time.Second

// keyspaceMetadata returns the cached metadata of keyspace, which must
// hold table when table is not empty. The driver refreshes its cache from
// schema events, so a table created just before the connector may exist in
// the cluster a moment before it exists in the cache; the system tables
// decide which case this is, so a missing table fails at once and a new
// one is waited for.
func keyspaceMetadata(ctx context.Context, s *gocql.Session, keyspace, table string) (*gocql.KeyspaceMetadata, error) {
	deadline := time.Now().Add(schemaLag)
	for checked := false; ; {
		km, err := s.KeyspaceMetadata(keyspace)
		if err == nil && (table == "" || km.Tables[table] != nil) {
			return km, nil
		}
		if !checked {
			ks, tbl, qerr := inSystemSchema(ctx, s, keyspace, table)
			switch {
			case qerr != nil:
				return nil, fmt.Errorf("reading keyspace %s: %w", keyspace, qerr)
			case !ks:
				return nil, fmt.Errorf("keyspace %s does not exist", keyspace)
			case !tbl:
				return nil, fmt.Errorf("table %s.%s does not exist", keyspace, table)
			}
			checked = true
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the driver's schema metadata still lacks %s.%s after %v (lookup: %v)", keyspace, table, schemaLag, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the schema of %s.%s: %w", keyspace, table, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// inSystemSchema reports whether the cluster has the keyspace and the
// table (always true when table is empty).
func inSystemSchema(ctx context.Context, s *gocql.Session, keyspace, table string) (ks, tbl bool, err error) {
	var n int
	if err := s.Query(`SELECT count(*) FROM system_schema.keyspaces WHERE keyspace_name = ?`, keyspace).ScanContext(ctx, &n); err != nil || n == 0 {
		return false, false, err
	}
	if table == "" {
		return true, true, nil
	}
	err = s.Query(`SELECT count(*) FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?`, keyspace, table).ScanContext(ctx, &n)
	return true, n > 0, err
}
