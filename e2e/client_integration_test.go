//go:build integration

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestIntegrationThirdPartyClient drives gonnect with kafka-connect-py, a
// Kafka Connect client published on PyPI, installed in a virtualenv.
func TestIntegrationThirdPartyClient(t *testing.T) {
	venv := filepath.Join(repoRoot(t), ".stack", "pyclient")
	py := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if out, err := exec.Command("python3", "-m", "venv", venv).CombinedOutput(); err != nil {
			t.Fatalf("creating virtualenv: %v\n%s", err, out)
		}
	}
	if out, err := exec.Command(py, "-m", "pip", "install", "-q", "kafka-connect-py==1.0.0").CombinedOutput(); err != nil {
		t.Fatalf("installing kafka-connect-py from PyPI: %v\n%s", err, out)
	}
	c := newCluster(t, nil)
	w := c.start()
	name := fmt.Sprintf("py-%d", rand.Uint32())
	script := filepath.Join(repoRoot(t), "e2e", "testdata", "kafka_connect_py_client.py")
	out, err := exec.Command(py, script, w.url(), name, name+"-in", t.TempDir()+"/out.txt").CombinedOutput()
	if err != nil {
		t.Fatalf("kafka-connect-py against gonnect failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
