package cassandra

import (
	"fmt"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestIgnoreErrorsLikeDataStax(t *testing.T) {
	for in, want := range map[string]string{"None": "none", "false": "none", "Driver": "driver", "true": "driver", "ALL": "all", "all": "all"} {
		if got := ignorePolicy(in); got != want {
			t.Errorf("ignoreErrors=%s: %s, want %s", in, got, want)
		}
	}
}

// TestSettingsRefusedLikeDataStax: settings the DataStax connector refuses
// are refused with its message, never accepted and ignored.
func TestSettingsRefusedLikeDataStax(t *testing.T) {
	const m = "topic.t.ks.tbl.mapping"
	tests := []struct {
		name string
		cfg  map[string]string
		want string // "" accepted
	}{
		{"valid", map[string]string{m: "id=key", "topics": "t", "topic.t.codec.locale": "fr_FR"}, ""},
		{"a misspelt table setting", map[string]string{m: "id=key", "topic.t.ks.tbl.mappings": "id=key"},
			"The setting: topic.t.ks.tbl.mappings does not match topic.keyspace.table nor topic.codec regular expression pattern"},
		{"a TTL below -1", map[string]string{m: "id=key", "topic.t.ks.tbl.ttl": "-2"},
			"Invalid value -2 for configuration topic.t.ks.tbl.ttl: Value must be at least -1"},
		{"a TTL that is not an int", map[string]string{m: "id=key", "topic.t.ks.tbl.ttl": "1h"},
			"Invalid value 1h for configuration topic.t.ks.tbl.ttl: Not a number of type INT"},
		{"an unknown consistency level", map[string]string{m: "id=key", "topic.t.ks.tbl.consistencyLevel": "MOST"},
			"Invalid value 'MOST' for configuration topic.t.ks.tbl.consistencyLevel: valid values include: ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM, EACH_QUORUM"},
		{"contact points without the local datacenter", map[string]string{m: "id=key", "contactPoints": "h1, h2"},
			"Invalid value [h1, h2] for configuration contactPoints: When contact points is provided, loadBalancing.localDc must also be specified"},
		{"contact points with the local datacenter", map[string]string{m: "id=key", "contactPoints": "h1", "loadBalancing.localDc": "dc1"}, ""},
		{"a cloud bundle", map[string]string{m: "id=key", "cloud.secureConnectBundle": "/b.zip"},
			"Invalid value /b.zip for configuration cloud.secureConnectBundle: connecting through a cloud secure connect bundle is not supported; use contactPoints, loadBalancing.localDc and ssl.*"},
		{"a Java driver setting", map[string]string{m: "id=key", "datastax-java-driver.basic.request.timeout": "5 seconds"},
			"Invalid value 5 seconds for configuration datastax-java-driver.basic.request.timeout: Java driver settings are not supported; use the connector's own settings"},
		{"a listed topic without settings", map[string]string{m: "id=key", "topics": "t, u"},
			"Invalid value t, u for configuration topics: Missing topic settings (topic.u.*) for topic u"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Connector{}).Start(t.Context(), tc.cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	for _, k := range []string{"retry.backoff.initial.ms", "retry.backoff.max.ms"} {
		if _, ok := configDef.Key(k); ok {
			t.Errorf("%s is declared: the DataStax connector has no such setting and the worker's backoff applies", k)
		}
	}
}

// TestJSONIntoTextLikeDataStax: a JSON object or array mapped to a text
// column is written as its JSON text, a text holding JSON is mapped by its
// fields, and its numbers keep every digit.
func TestJSONIntoTextLikeDataStax(t *testing.T) {
	text := gocql.NewNativeType(4, gocql.TypeText, "")
	for _, c := range []struct {
		in   any
		want string
	}{
		{map[string]any{"a": int64(1), "b": []any{"x<y", nil}}, `{"a":1,"b":["x<y",null]}`},
		{[]any{int64(1), "a"}, `[1,"a"]`},
	} {
		got, err := toCQL(text, c.in)
		if err != nil || got != c.want {
			t.Errorf("%v into text: %v (%v), want %s", c.in, got, err, c.want)
		}
	}
	v, ok := parseJSONText(`{"d": 12345678901234567890.123456789, "n": 3} trailing`)
	jt, _ := v.(*jsonText)
	if !ok || jt == nil {
		t.Fatalf("JSON object text not parsed: %v", v)
	}
	dec := gocql.NewNativeType(4, gocql.TypeDecimal, "")
	if d, err := toCQL(dec, jt.fields["d"]); err != nil || fmt.Sprint(d) != "12345678901234567890.123456789" {
		t.Errorf("decimal from JSON text = %v (%v)", d, err)
	}
	for _, s := range []string{"plain", "42", "[1]", "null", ""} {
		if _, ok := parseJSONText(s); ok {
			t.Errorf("%q parsed as a JSON object", s)
		}
	}
}
