//go:build integration

package stack

import "testing"

// The secured listeners answer with the stack's user and certificates.
func TestIntegrationSecuredListeners(t *testing.T) {
	RequireKafkaSASL(t)
	RequireKafkaMTLS(t)
}
