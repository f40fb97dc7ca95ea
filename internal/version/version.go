// Package version holds gonnect's version, reported by GET / and by plugins.
package version

// ConnectAPI is the Apache Kafka Connect version whose REST API and record
// formats gonnect implements.
const ConnectAPI = "4.3.1"

// Gonnect is the gonnect release; set at build time with
// -ldflags "-X github.com/gonnect/gonnect/internal/version.Gonnect=...".
var Gonnect = "0.1.0-dev"

// Commit is the git commit, set at build time with -ldflags.
var Commit = "unknown"

// Version is what GET / reports: the Connect API version, so tooling that
// gates features on it keeps working, plus the gonnect release as a
// pre-release tag (semver orders it after 4.3.0 and before 4.3.1).
func Version() string { return ConnectAPI + "-gonnect-" + Gonnect }
