package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/gonnect/gonnect"

// layers orders the module's packages as DEVELOPERS.md draws them:
// schemas <- connectors <- worker <- restapi <- cmd. A package may import
// its own layer or lower ones. internal/ and stack/ are plumbing any layer
// may use (logging, versions, test data, the local servers), so they sit
// beside schemas and import nothing above it. Inside the worker layer
// the herder (package worker) sits above its parts (entities, storage,
// task, group), which never import it.
var layers = []struct {
	path  string
	exact bool // only the package itself, not the ones below its folder
	rank  int
}{
	{path: "internal", rank: 1},
	{path: "stack", rank: 1},
	{path: "schemas", rank: 1},
	{path: "connectors", rank: 2},
	{path: "worker", rank: 3},
	{path: "worker", exact: true, rank: 4},
	{path: "restapi", rank: 5},
	{path: "bench", rank: 6},
	{path: "demo", rank: 6},
	{path: "e2e", rank: 6},
	{path: "cmd", rank: 7},
}

// rankOf is the rank of the most specific layer holding a package path
// relative to the module.
func rankOf(rel string) (int, bool) {
	best, bestLen := 0, -1
	for _, l := range layers {
		in := rel == l.path || (!l.exact && strings.HasPrefix(rel, l.path+"/"))
		n := len(l.path)
		if l.exact {
			n++ // an exact entry is more specific than its folder's
		}
		if in && n > bestLen {
			best, bestLen = l.rank, n
		}
	}
	return best, bestLen >= 0
}

func TestImportsGoOneWay(t *testing.T) {
	// Test files count too: a test importing upwards couples the layers
	// just as much (the integration and faults tags bring the end-to-end ones).
	out, err := exec.Command("go", "list", "-tags", "integration,faults", "-json", module+"/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("reading go list output: %v", err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		from, ok := rankOf(rel)
		if !ok {
			t.Errorf("package %s is in no layer: add its folder to the layers table", rel)
			continue
		}
		for _, imp := range append(append(p.Imports, p.TestImports...), p.XTestImports...) {
			irel, ok := strings.CutPrefix(imp, module+"/")
			if !ok || irel == rel {
				continue
			}
			checked++
			if to, ok := rankOf(irel); !ok || to > from {
				t.Errorf("%s imports %s, a higher layer: imports go schemas <- connectors <- worker <- restapi <- cmd", rel, irel)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no import of the module was checked")
	}
}

func TestRankOf(t *testing.T) {
	tests := []struct {
		pkg  string
		want int
	}{
		{"worker", 4}, {"worker/task", 3}, {"worker/entities", 3}, {"workers", -1},
		{"connectors/cassandra", 2}, {"internal/logging", 1}, {"cmd/gonnect", 7}, {"e2e", 6},
	}
	for _, tt := range tests {
		got, ok := rankOf(tt.pkg)
		if !ok {
			got = -1
		}
		if got != tt.want {
			t.Errorf("rankOf(%q) = %d, want %d", tt.pkg, got, tt.want)
		}
	}
}
