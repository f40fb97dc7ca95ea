package properties

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"equals", "a=b\n", map[string]string{"a": "b"}},
		{"colon and spaces", "a : b c \n", map[string]string{"a": "b c "}},
		{"whitespace separator", "key value", map[string]string{"key": "value"}},
		{"comments", "# c\n! d\n  \nx=1", map[string]string{"x": "1"}},
		{"continuation", "list=a,\\\n    b,\\\n    c\n", map[string]string{"list": "a,b,c"}},
		{"escaped separator in key", `a\=b=c`, map[string]string{"a=b": "c"}},
		{"unicode escape", `k=caf\u00e9`, map[string]string{"k": "café"}},
		{"empty value", "k=\n", map[string]string{"k": ""}},
		{"even backslashes do not continue", "k=a\\\\\nx=y", map[string]string{"k": `a\`, "x": "y"}},
		{"last wins", "k=1\nk=2", map[string]string{"k": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMalformedUnicode(t *testing.T) {
	if _, err := Parse(strings.NewReader(`k=\u12`)); err == nil {
		t.Fatal("want error for truncated \\u escape")
	}
}
