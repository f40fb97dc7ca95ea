package cassandra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// fakeRequestError is an error answer of Cassandra with the given code.
type fakeRequestError int

func (e fakeRequestError) Code() int       { return int(e) }
func (e fakeRequestError) Message() string { return fmt.Sprintf("code %#x", int(e)) }
func (e fakeRequestError) Error() string   { return e.Message() }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// The driver retries a request on the next node when the node it chose
// could not take it, as the Java driver's default policy; timeouts and
// refusals go back to the task.
// A failure that may pass (retriable) makes the worker retry the put after
// a backoff; any other fails the records (or the task).
func TestRetryPolicyLikeJavaDriver(t *testing.T) {
	for _, c := range []struct {
		name      string
		err       error
		want      gocql.RetryType
		retriable bool
	}{
		{"unavailable", fakeRequestError(gocql.ErrCodeUnavailable), gocql.RetryNextHost, true},
		{"overloaded", fakeRequestError(gocql.ErrCodeOverloaded), gocql.RetryNextHost, true},
		{"bootstrapping", fakeRequestError(gocql.ErrCodeBootstrapping), gocql.RetryNextHost, true},
		{"server error", fakeRequestError(gocql.ErrCodeServer), gocql.RetryNextHost, true},
		{"write timeout", fakeRequestError(gocql.ErrCodeWriteTimeout), gocql.Rethrow, true},
		{"write failure", fakeRequestError(gocql.ErrCodeWriteFailure), gocql.Rethrow, false},
		{"invalid", fakeRequestError(gocql.ErrCodeInvalid), gocql.Rethrow, false},
		{"connection closed", gocql.ErrConnectionClosed, gocql.RetryNextHost, true},
		{"no connections", gocql.ErrNoConnections, gocql.RetryNextHost, true},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, gocql.RetryNextHost, true},
		{"connection cut mid-frame", fmt.Errorf("gocql: failed to read uncompressed frame, err: %w", io.EOF), gocql.RetryNextHost, true},
		{"frame cut short", fmt.Errorf("gocql: failed to read uncompressed frame payload, err: %w", io.ErrUnexpectedEOF), gocql.RetryNextHost, true},
		{"broken pipe", fmt.Errorf("writing frame: %w", syscall.EPIPE), gocql.RetryNextHost, true},
		{"wrapped connection closed", fmt.Errorf("writing: %w", gocql.ErrConnectionClosed), gocql.RetryNextHost, true},
		{"no response in time", gocql.ErrTimeoutNoResponse, gocql.Rethrow, true},
		{"network timeout", timeoutError{}, gocql.Rethrow, true},
		{"deadline", context.DeadlineExceeded, gocql.Rethrow, true},
		{"canceled", context.Canceled, gocql.Rethrow, false},
		{"anything else", errors.New("cannot marshal"), gocql.Rethrow, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := (retryPolicy{}).GetRetryType(c.err); got != c.want {
				t.Errorf("GetRetryType(%v) = %v, want %v", c.err, got, c.want)
			}
			if got := isRetriable(c.err); got != c.retriable {
				t.Errorf("isRetriable(%v) = %v, want %v", c.err, got, c.retriable)
			}
		})
	}
}

// The backoff doubles per failed put from the minimum to the maximum, less
// up to half at random, and starts again after a put that succeeded.
func TestRetryBackoffDoublesAndResets(t *testing.T) {
	for _, c := range []struct {
		name   string
		jitter float64
		want   []time.Duration
	}{
		{"no jitter", 0, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond,
			3200 * time.Millisecond, 6400 * time.Millisecond, 10 * time.Second, 10 * time.Second}},
		{"most jitter", 0.999999, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
			1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := retryBackoff{jitter: func() float64 { return c.jitter }}
			for round := range 2 {
				for i, want := range c.want {
					if got := b.next(); got.Round(time.Millisecond) != want {
						t.Fatalf("round %d, failure %d: backoff %s, want %s", round, i+1, got, want)
					}
				}
				b.reset()
			}
			b.failures = 1 << 20 // no overflow however long it fails
			if got := b.next(); got.Round(time.Millisecond) != c.want[len(c.want)-1] {
				t.Fatalf("after many failures: %s", got)
			}
		})
	}
}
