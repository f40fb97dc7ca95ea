package cassandra

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Two levels of retry keep writes going while nodes fail or Cassandra is
// overloaded, without losing or committing past a record:
//
//   - the driver retries one request on the next node of its query plan
//     when the node it chose could not take it (the connection closed under
//     it, the node is overloaded, bootstrapping or not enough replicas were
//     alive when it looked), as the Java driver's default retry policy that
//     the DataStax connector runs with does for idempotent requests; every
//     write is marked idempotent but counter updates, which the driver
//     never retries;
//   - a put whose writes still failed for a reason that may pass is retried
//     whole by the worker (the task returns a retriable error), after a
//     backoff that doubles with each put failing in a row (with jitter),
//     from retryBackoffMin to retryBackoffMax, and starts again once a put
//     succeeds. Without it the worker would retry at its next offset
//     commit, up to offset.flush.interval.ms (60 s by default) later.

// driverRetries is how many times the driver retries a request on another
// node: with a node of three down, the two others.
const driverRetries = 2

// retryPolicy is the Java driver's DefaultRetryPolicy for idempotent
// requests: the next node on a closed connection, an overloaded,
// bootstrapping or failing coordinator, or an unavailable answer; a write
// timeout, a client timeout or a refused statement is returned at once.
type retryPolicy struct{}

func (retryPolicy) Attempt(q gocql.RetryableQuery) bool { return q.Attempts() <= driverRetries }

func (retryPolicy) GetRetryType(err error) gocql.RetryType {
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeOverloaded, gocql.ErrCodeServer, gocql.ErrCodeTruncate, gocql.ErrCodeBootstrapping, gocql.ErrCodeUnavailable:
			return gocql.RetryNextHost
		}
		return gocql.Rethrow
	}
	// A timeout leaves the write's outcome unknown and its time spent: the
	// put is retried after a backoff instead.
	var ne net.Error
	if errors.Is(err, gocql.ErrTimeoutNoResponse) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &ne) && ne.Timeout() {
		return gocql.Rethrow
	}
	if connectionLost(err) {
		return gocql.RetryNextHost
	}
	return gocql.Rethrow
}

// connectionLost reports a failure of the connection rather than of the
// request: closed or reset under it, cut in the middle of a frame (EOF),
// refused, or no connection to use.
func connectionLost(err error) bool {
	var ne net.Error
	return errors.Is(err, gocql.ErrConnectionClosed) || errors.Is(err, gocql.ErrNoConnections) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) || errors.As(err, &ne)
}

// The backoff between retried puts.
const (
	retryBackoffMin = 200 * time.Millisecond
	retryBackoffMax = 10 * time.Second
)

// retryBackoff is a task's backoff between puts that fail in a row.
type retryBackoff struct {
	failures int
	jitter   func() float64 // in [0, 1); rand.Float64 when nil
}

// next is the wait before the next retry: retryBackoffMin doubled per
// failure before this one, at most retryBackoffMax, less up to half of it
// at random, so tasks that failed together do not retry together.
func (b *retryBackoff) next() time.Duration {
	d := retryBackoffMax
	if b.failures < 16 {
		d = min(retryBackoffMin<<b.failures, retryBackoffMax)
	}
	b.failures++
	j := rand.Float64
	if b.jitter != nil {
		j = b.jitter
	}
	return d - time.Duration(j()*float64(d/2))
}

// reset starts the backoff again after a put that succeeded.
func (b *retryBackoff) reset() { b.failures = 0 }
