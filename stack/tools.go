package stack

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// script is stack.sh of this checkout.
func script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "stack.sh")
}

// run runs stack.sh with args and returns the last line it printed,
// failing the test with its output when it fails.
func run(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{script()}, args...)...)
	cmd.Env = append(os.Environ(), "GONNECT_STACK_DIR="+StateDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash %s %s: %v\n%s", script(), strings.Join(args, " "), err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// PyClient is the python of a virtualenv holding kafka-connect-py (a
// third-party Kafka Connect client from PyPI), installed by stack.sh when
// missing.
func PyClient(t testing.TB) string {
	t.Helper()
	return run(t, "pyclient")
}

// ConnectBasicAuthJars is the folder holding Apache Connect's Basic
// authentication REST extension (to put beside the reference runtime's
// classpath), resolved from Maven Central by stack.sh when missing.
func ConnectBasicAuthJars(t testing.TB) string {
	t.Helper()
	run(t, "resolve", "connect-basic-auth")
	return filepath.Join(StateDir(), "jars", "connect-basic-auth")
}
