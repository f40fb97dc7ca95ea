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

func TestReadingAnUndeclaredKeyPanics(t *testing.T) {
	v, err := testDef().Parse(map[string]string{"name": "c"})
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]func(string){
		"String": func(k string) { v.String(k) }, "Int": func(k string) { v.Int(k) }, "Long": func(k string) { v.Long(k) },
		"Bool": func(k string) { v.Bool(k) }, "Double": func(k string) { v.Double(k) }, "List": func(k string) { v.List(k) },
		"Password": func(k string) { v.Password(k) }, "IsSet": func(k string) { v.IsSet(k) },
	}
	for name, f := range read {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "Unknown configuration 'taks'") {
					t.Errorf("%s of an undeclared key: recovered %v, want a panic naming the key", name, r)
				}
			}()
			f("taks")
		}()
	}
	// A declared key with a null default reads as its zero value.
	d := New().Define(Key{Name: "opt", Type: Int, Default: nil, Importance: Low})
	pv, err := d.Parse(map[string]string{})
	if err != nil || pv.Int("opt") != 0 || pv.IsSet("opt") || !pv.Has("opt") || pv.Has("nope") {
		t.Errorf("optional key: %v %v", pv, err)
	}
}

func TestListValidators(t *testing.T) {
	tests := []struct {
		v       Validator
		raw     string
		wantErr string
	}{
		{NonEmptyList, "a,b", ""},
		{NonEmptyList, "", "Configuration 'k' must not be empty. Valid values include: any non-empty value"},
		{NonEmptyList, "a,,b", "Configuration 'k' values must not be empty."},
		{NoEmptyElements, "", ""},
		{NoEmptyElements, "a, ,b", "Configuration 'k' values must not be empty."},
	}
	for _, tt := range tests {
		d := New().Define(Key{Name: "k", Type: List, Default: nil, Validator: tt.v, Importance: Low})
		_, err := d.Parse(map[string]string{"k": tt.raw})
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
			t.Errorf("%q: err = %v, want %q", tt.raw, err, tt.wantErr)
		}
		infos := d.Validate(map[string]string{"k": tt.raw})
		if want := map[bool]int{true: 0, false: 1}[tt.wantErr == ""]; infos.ErrorCount != want {
			t.Errorf("%q: validate error_count = %d, want %d", tt.raw, infos.ErrorCount, want)
		}
	}
}
