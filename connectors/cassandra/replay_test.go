package cassandra

import (
	"slices"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Non-frozen lists are the columns a replayed record writes twice into;
// frozen lists, sets, maps and a custom query's or counter table's columns
// are not reported.
func TestReplayAppended(t *testing.T) {
	cols := func(types ...string) []column {
		out := []column{{name: "id", meta: &gocql.ColumnMetadata{Validator: "text"}}}
		for i, ty := range types {
			out = append(out, column{name: string(rune('a' + i)), meta: &gocql.ColumnMetadata{Validator: ty}})
		}
		return out
	}
	for _, c := range []struct {
		name string
		w    *tableWriter
		want []string
	}{
		{name: "non-frozen list", w: &tableWriter{ts: &tableSettings{}, cols: cols("list<text>", "LIST<int>"), pkCount: 1}, want: []string{"a", "b"}},
		{name: "frozen, set, map", w: &tableWriter{ts: &tableSettings{}, cols: cols("frozen<list<text>>", "set<text>", "map<text, list<int>>"), pkCount: 1}},
		{name: "custom query", w: &tableWriter{ts: &tableSettings{query: "UPDATE t SET l = l + :l WHERE id = :id"}, cols: cols("list<text>"), pkCount: 1}},
		{name: "counter table", w: &tableWriter{ts: &tableSettings{}, cols: cols("counter"), pkCount: 1, counter: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.w.replayAppended(); !slices.Equal(got, c.want) {
				t.Errorf("replayAppended = %v, want %v", got, c.want)
			}
		})
	}
}
