package configdef

import (
	"reflect"
	"strings"
	"testing"
)

func testDef() *ConfigDef {
	return New().
		Define(Key{Name: "name", Type: String, Default: NoDefault, Importance: High, Group: "Common", Doc: "n"}).
		Define(Key{Name: "tasks", Type: Int, Default: 1, Validator: AtLeast(1), Importance: High, Group: "Common"}).
		Define(Key{Name: "list", Type: List, Default: "a, b", Importance: Low}).
		Define(Key{Name: "secret", Type: Password, Default: "", Importance: Low}).
		Define(Key{Name: "mode", Type: String, Default: "x", Validator: In("x", "y"), Importance: Low, Group: "Other"})
}

func TestParse(t *testing.T) {
	tests := []struct {
		props   map[string]string
		wantErr string
		check   func(Values) bool
	}{
		{map[string]string{"name": "c"}, "", func(v Values) bool {
			return v.Int("tasks") == 1 && reflect.DeepEqual(v.List("list"), []string{"a", "b"}) && v.String("mode") == "x"
		}},
		{map[string]string{}, `Missing required configuration "name" which has no default value.`, nil},
		{map[string]string{"name": "c", "tasks": "x"}, "Invalid value x for configuration tasks: Not a number of type INT", nil},
		{map[string]string{"name": "c", "tasks": "0"}, "Invalid value 0 for configuration tasks: Value must be at least 1", nil},
		{map[string]string{"name": "c", "mode": "z"}, "Invalid value z for configuration mode: String must be one of: x, y", nil},
		{map[string]string{"name": "c", "secret": "s3"}, "", func(v Values) bool { return v.Password("secret") == "s3" }},
	}
	for _, tt := range tests {
		v, err := testDef().Parse(tt.props)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%v: err = %v, want %q", tt.props, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(v) {
			t.Errorf("%v: %v %v", tt.props, v, err)
		}
	}
}

func TestValidateShape(t *testing.T) {
	infos := testDef().Validate(map[string]string{"tasks": "0", "secret": "s3"})
	if infos.ErrorCount != 2 || !reflect.DeepEqual(infos.Groups, []string{"Common", "Other"}) || len(infos.Configs) != 5 {
		t.Fatalf("infos = %+v", infos)
	}
	byName := map[string]Info{}
	for _, c := range infos.Configs {
		byName[c.Definition.Name] = c
	}
	if v := byName["secret"].Value.Value; v == nil || *v != "[hidden]" {
		t.Errorf("password shown as %v", v)
	}
	if d := byName["name"].Definition; !d.Required || d.DefaultValue != nil || d.Order != 1 || *d.Group != "Common" {
		t.Errorf("name definition = %+v", d)
	}
	if d := byName["list"].Definition; *d.DefaultValue != "a,b" || d.Group != nil || d.Order != -1 {
		t.Errorf("list definition = %+v", d)
	}
	if e := byName["tasks"].Value.Errors; len(e) != 1 || !strings.Contains(e[0], "at least 1") {
		t.Errorf("tasks errors = %v", e)
	}
}
