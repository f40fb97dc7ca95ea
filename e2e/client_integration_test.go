//go:build integration

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gonnect/gonnect/stack"
)

// TestIntegrationThirdPartyClient drives gonnect with kafka-connect-py, a
// Kafka Connect client published on PyPI, installed in a virtualenv.
func TestIntegrationThirdPartyClient(t *testing.T) {
	py := stack.PyClient(t)
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
