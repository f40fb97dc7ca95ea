//go:build integration

package converters

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/inf.v0"

	"github.com/gonnect/gonnect/schemas"
	"github.com/gonnect/gonnect/stack"
)

// valueInputs are texts a header or an InsertHeader literal may hold.
var valueInputs = []string{
	"", " ", "null", "true", "false", " true ", "true}", "TRUE", "12", "-300", "70000", "5000000000",
	"9223372036854775808", "123456789012345678901234567890", "1.0", "1.5", "-2.25", "1e5", "1.5e-3", "1e40",
	"1e400", "+7", ".5", "1.", "0x10", "12abc", "abc", "a b", "a:b", "1,2", "1:2",
	"2024-02-29", "2024-13-01", "2024-02-29T12:34:56.789Z", "12:34:56.789Z", "25:00:00.000Z", "2024-02-29T12\\:34\\:56.789Z",
	"[]", "[1]", "[1, 2, 3]", "[1, 300]", "[1, 2.5]", "[1, null]", "[null]", "[null, null]", "[1, \"a\"]", "[1, \"a\", 2]",
	"[\"a\", \"b\"]", "[\"a\",\"b\" ]", "[ \"a b\" , \"c\"]", "[true, false]", "[[1, 2], [3]]", "[[1], [\"x\"]]",
	"[\"2024-02-29\", \"2024-03-01\"]", "[\"2024-02-29T12:34:56.789Z\"]", "[1,]", "[,1]", "[1 2]", "[1", "[abc]",
	"{}", "{a:1}", "{\"a\":1, \"b\":2}", "{a:1, b:\"x\"}", "{1:true, 2:false}", "{a:null}", "{a:[1,2], b:[3]}",
	"{a:{b:1}}", "{a}", "{:1}", "{a:1", "{null:1}", "{a:1,}", "[\"x\\\"y\"]", "[\"a,b\"]", "x[1]", "[1]x", "  [1]  ",
	"{\"k\": \"v\"}", "{a:1, b:\"x\", c:2}", "{1:1, \"x\":1, 2:1}", "[\"a\", 1, \"b\"]", "[1, true, 2, 3]", "[1.5, 2.5]", "[100000, 1.5]", "[1e40, 1]", "[5000000000, 1]",
}

// TestIntegrationValuesParseStringMatchesConnect reads every input with
// Apache Connect's own Values.parseString (the stack's Connect jars) and
// with ParseValueString, and compares schema and value.
func TestIntegrationValuesParseStringMatchesConnect(t *testing.T) {
	jars := filepath.Join(stack.StateDir(), "jars", "connect")
	if _, err := os.Stat(filepath.Join(jars, "connect-api-4.3.1.jar")); err != nil {
		t.Fatalf("Apache Connect's jars are not installed in %s (bash stack/stack.sh resolve connect): %v", jars, err)
	}
	var in bytes.Buffer
	for _, s := range valueInputs {
		in.WriteString(base64.StdEncoding.EncodeToString([]byte(s)) + "\n")
	}
	cmd := exec.Command("java", "-cp", filepath.Join(jars, "*"), filepath.Join("testdata", "ValuesProbe.java"))
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running Values.parseString in Java: %v\n%s", err, stderr.String())
	}
	want := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(want) != len(valueInputs) {
		t.Fatalf("Java answered %d lines for %d inputs:\n%s\n%s", len(want), len(valueInputs), out, stderr.String())
	}
	for i, s := range valueInputs {
		if got := renderParsed(ParseValueString(s)); got != want[i] {
			t.Errorf("%q: gonnect %s, Connect %s", s, got, want[i])
		}
	}
}

// renderParsed renders a parse result as ValuesProbe.java does.
func renderParsed(sv schemas.SchemaAndValue) string {
	if sv.Schema == nil && sv.Value == nil {
		return "- null"
	}
	return renderSchema(sv.Schema) + " " + renderValue(sv.Value)
}

func renderSchema(s *schemas.Schema) string {
	if s == nil {
		return "-"
	}
	out := s.Type.String()
	if s.Name != "" {
		out += "(" + s.Name + s.Parameters[schemas.DecimalScaleParam] + ")"
	}
	switch s.Type {
	case schemas.Array:
		out += "<" + renderSchema(s.Value) + ">"
	case schemas.Map:
		out += "<" + renderSchema(s.Key) + "," + renderSchema(s.Value) + ">"
	}
	return out
}

func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "s'" + x + "'"
	case int8:
		return fmt.Sprintf("i8:%d", x)
	case int16:
		return fmt.Sprintf("i16:%d", x)
	case int32:
		return fmt.Sprintf("i32:%d", x)
	case int64:
		return fmt.Sprintf("i64:%d", x)
	case float32:
		return fmt.Sprintf("f32:%x", math.Float32bits(x))
	case float64:
		return fmt.Sprintf("f64:%x", math.Float64bits(x))
	case bool:
		return fmt.Sprintf("b:%t", x)
	case *inf.Dec:
		return fmt.Sprintf("dec:%se%d", x.UnscaledBig(), x.Scale())
	case time.Time:
		return fmt.Sprintf("ms:%d", x.UnixMilli())
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderValue(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		return renderEntries(len(x), func(add func(k, v any)) {
			for k, e := range x {
				add(k, e)
			}
		})
	case map[any]any:
		return renderEntries(len(x), func(add func(k, v any)) {
			for k, e := range x {
				add(k, e)
			}
		})
	}
	return fmt.Sprintf("?%T", v)
}

func renderEntries(n int, each func(add func(k, v any))) string {
	parts := make([]string, 0, n)
	each(func(k, v any) { parts = append(parts, renderValue(k)+"="+renderValue(v)) })
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}
