// Package faults is the fault suite (`make test-faults`, build tag
// `faults`): real gonnect worker processes against real servers on loopback
// while workers die, brokers restart, Cassandra nodes fail and networks stall.
// Each scenario streams known records through the Cassandra sink and proves
// at its end that every record is in Cassandra exactly as sent, that the
// connector's committed offsets equal the topic's end offsets, and how many
// writes were replayed; harness.go holds what the scenarios share.
package faults
