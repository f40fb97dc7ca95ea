package task

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/worker/metrics"
)

// fakeClock advances only when waited on, and records the waits.
type fakeClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func newTestTolerance(t *testing.T, cfg map[string]string, logs *bytes.Buffer) (*Tolerance, *fakeClock) {
	t.Helper()
	tol, err := NewTolerance("conn", 3, cfg, "", nil, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Unix(1000, 0)}
	tol.clock = clock
	tol.jitter = func(n int64) int64 { return n / 2 }
	return tol, clock
}

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

// Retries follow Connect's RetryWithToleranceOperator: 300 ms doubling,
// past errors.retry.delay.max.ms a jittered delay below it, the last wait
// cut at errors.retry.timeout, no retry with 0, no end with -1.
func TestToleranceRetryBackoff(t *testing.T) {
	retriable := connectors.Retriable(errors.New("busy"))
	for _, tc := range []struct {
		name      string
		timeout   string
		maxDelay  string
		failFirst int  // attempts that fail retriably (then success)
		fatal     bool // the first failure is not retriable
		waits     []time.Duration
		attempts  int
		wantErr   bool
	}{
		{name: "default: no retry", failFirst: 100, attempts: 1, wantErr: true},
		{name: "timeout 0", timeout: "0", failFirst: 100, attempts: 1, wantErr: true},
		{name: "doubling cut at the timeout", timeout: "2000", failFirst: 100, waits: ms(300, 600, 1100), attempts: 4, wantErr: true},
		{name: "succeeds within the timeout", timeout: "10000", failFirst: 2, waits: ms(300, 600), attempts: 3},
		{name: "capped delay with jitter", timeout: "-1", maxDelay: "1000", failFirst: 5, waits: ms(300, 600, 500, 500, 500), attempts: 6},
		{name: "forever", timeout: "-1", failFirst: 8, waits: ms(300, 600, 1200, 2400, 4800, 9600, 19200, 38400), attempts: 9},
		{name: "any negative is forever", timeout: "-5", failFirst: 3, waits: ms(300, 600, 1200), attempts: 4},
		{name: "not retriable", timeout: "-1", fatal: true, attempts: 1, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			if tc.timeout != "" {
				cfg["errors.retry.timeout"] = tc.timeout
			}
			if tc.maxDelay != "" {
				cfg["errors.retry.delay.max.ms"] = tc.maxDelay
			}
			tol, clock := newTestTolerance(t, cfg, &bytes.Buffer{})
			attempts := 0
			err := tol.retry(context.Background(), func() error {
				attempts++
				if tc.fatal {
					return errors.New("bad data")
				}
				if attempts <= tc.failFirst {
					return retriable
				}
				return nil
			})
			if (err != nil) != tc.wantErr || attempts != tc.attempts || !slices.Equal(clock.waits, tc.waits) {
				t.Fatalf("err %v, %d attempts, waits %v; want err %v, %d attempts, waits %v", err, attempts, clock.waits, tc.wantErr, tc.attempts, tc.waits)
			}
		})
	}
}

func TestToleranceRefusesBadRetrySettings(t *testing.T) {
	for _, cfg := range []map[string]string{{"errors.retry.timeout": "x"}, {"errors.retry.delay.max.ms": "0"}} {
		if _, err := NewTolerance("c", 0, cfg, "", nil, slog.Default()); err == nil {
			t.Errorf("%v accepted", cfg)
		}
	}
}

// Execute: what fails the task, what skips the record, and what is logged,
// for both tolerances.
func TestToleranceExecute(t *testing.T) {
	rec := connectors.SinkRecord{Topic: "t", Partition: 1, Offset: 7, Timestamp: time.UnixMilli(1234)}
	for _, tc := range []struct {
		name      string
		cfg       map[string]string
		op        error
		skip      bool
		fails     bool
		logged    string // "" = nothing logged
		notLogged string
		// metrics: total-record-failures, -errors, -records-skipped,
		// total-errors-logged, as Connect's operator counts them.
		metrics [4]int64
	}{
		{name: "none fails on a data error, logging it", cfg: map[string]string{"errors.log.enable": "true"}, op: errors.New("bad json"),
			skip: true, fails: true, logged: "Error encountered in task conn-3. Executing stage 'VALUE_CONVERTER' with class 'conv'.", notLogged: "where consumed record", metrics: [4]int64{1, 1, 0, 1}},
		{name: "none without log", cfg: map[string]string{}, op: errors.New("bad json"), skip: true, fails: true, metrics: [4]int64{1, 1, 0, 0}},
		{name: "all skips", cfg: map[string]string{"errors.tolerance": "all", "errors.log.enable": "true", "errors.log.include.messages": "true"}, op: errors.New("bad json"),
			skip: true, logged: "where consumed record is {topic='t', partition=1, offset=7, timestamp=1234}", metrics: [4]int64{1, 1, 1, 1}},
		{name: "retries exhausted skip even with none (as Connect)", cfg: map[string]string{"errors.log.enable": "true"}, op: connectors.Retriable(errors.New("registry down")),
			skip: true, logged: "registry down", metrics: [4]int64{2, 1, 1, 1}},
		{name: "success", cfg: map[string]string{"errors.log.enable": "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tol, _ := newTestTolerance(t, tc.cfg, &logs)
			m := metrics.NewTask("conn", 3, true)
			tol.Metrics = m
			skip, err := tol.Execute(context.Background(), rec, StageValueConverter, "conv", func() error { return tc.op })
			if skip != tc.skip || (err != nil) != tc.fails {
				t.Fatalf("skip %v, err %v", skip, err)
			}
			if err != nil && !strings.Contains(err.Error(), "Tolerance exceeded in error handler") {
				t.Errorf("error %v", err)
			}
			if tc.logged == "" && logs.Len() > 0 || !strings.Contains(logs.String(), tc.logged) {
				t.Errorf("log %q, want %q", logs.String(), tc.logged)
			}
			if tc.notLogged != "" && strings.Contains(logs.String(), tc.notLogged) {
				t.Errorf("log %q has %q", logs.String(), tc.notLogged)
			}
			if got := [4]int64{m.RecordFailures.Load(), m.RecordErrors.Load(), m.RecordsSkipped.Load(), m.ErrorsLogged.Load()}; got != tc.metrics {
				t.Errorf("failures, errors, skipped, logged = %v, want %v", got, tc.metrics)
			}
		})
	}
}

type driverError struct{ msg string }

func (e *driverError) Error() string { return e.msg }
func (e *driverError) ExceptionClass() string {
	return "com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException"
}

func TestExceptionClassAndTrace(t *testing.T) {
	classified := fmt.Errorf("writing row: %w", &driverError{"timed out"})
	for _, tc := range []struct {
		name, stage string
		err         error
		class       string
		trace       string
		msg         string // default: the error's text
	}{
		{"JsonConverter failure", StageValueConverter,
			fmt.Errorf("Converting byte[] to Kafka Connect data failed due to serialization error: %w", errors.New("invalid character 'x'")),
			"org.apache.kafka.connect.errors.DataException",
			"org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed due to serialization error: \nCaused by: org.apache.kafka.common.errors.SerializationException: invalid character 'x'",
			"Converting byte[] to Kafka Connect data failed due to serialization error: "},
		{"AvroConverter failure", StageKeyConverter,
			errors.New("Converting byte[] to Kafka Connect data failed due to serialization error of topic t1: Unknown magic byte!"),
			"org.apache.kafka.connect.errors.DataException",
			"org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed due to serialization error of topic t1: \nCaused by: org.apache.kafka.common.errors.SerializationException: Unknown magic byte!",
			"Converting byte[] to Kafka Connect data failed due to serialization error of topic t1: "},
		{"NumberConverter failure", StageValueConverter,
			errors.New("Failed to deserialize int32: size of data received is not 4"),
			"org.apache.kafka.connect.errors.DataException", "", "Failed to deserialize int32: "},
		{"a put failure keeps its text", StageTaskPut,
			errors.New("Failed to deserialize x: y"), "org.apache.kafka.connect.errors.ConnectException", "", ""},
		{"classified error in the chain", StageTaskPut, classified, "com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException",
			"com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException: writing row: timed out\nCaused by: com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException: timed out", ""},
		{"converter failure", StageValueConverter, errors.New("bad json"), "org.apache.kafka.connect.errors.DataException", "org.apache.kafka.connect.errors.DataException: bad json", ""},
		{"header converter failure", StageHeaderConverter, errors.New("bad"), "org.apache.kafka.connect.errors.DataException", "", ""},
		{"retriable put failure", StageTaskPut, connectors.Retriable(errors.New("busy")), "org.apache.kafka.connect.errors.RetriableException", "", ""},
		{"other put failure", StageTaskPut, errors.New("boom"), "org.apache.kafka.connect.errors.ConnectException", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdrs := ErrorHeaders(connectors.SinkRecord{Topic: "t"}, "c", 0, tc.stage, "cls", tc.err)
			got := map[string]string{}
			for _, h := range hdrs {
				got[h.Key] = string(h.Value)
			}
			msg := tc.msg
			if msg == "" {
				msg = tc.err.Error()
			}
			if got[hdrExceptionName] != tc.class || got[hdrExceptionMsg] != msg {
				t.Errorf("class %q message %q", got[hdrExceptionName], got[hdrExceptionMsg])
			}
			if tc.trace != "" && got[hdrStacktrace] != tc.trace {
				t.Errorf("trace %q, want %q", got[hdrStacktrace], tc.trace)
			}
		})
	}
}
