package task

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Sink consumers' defaults where the user set nothing: they bound what a
// task holds in memory (librdkafka's defaults are tens of MiB per task).
var sinkConsumerDefaults = kafka.ConfigMap{
	"enable.auto.commit":       false,
	"enable.auto.offset.store": false,
	"auto.offset.reset":        "earliest",
	// The Java consumer's default, which Connect's sink consumers keep
	// (librdkafka's is read_committed).
	"isolation.level":               "read_uncommitted",
	"partition.assignment.strategy": "cooperative-sticky",
	"fetch.wait.max.ms":             100,
	// Members learn of a rebalance at their next heartbeat; tasks of a
	// new connector join one after another, so with the 3 s default each
	// join stalls the group for seconds.
	"heartbeat.interval.ms": 1000,
	// Bound what librdkafka buffers per task (its default is 64 MiB):
	// a worker runs many tasks, and 512 KiB is still a few puts of
	// records ahead of the task (no measured loss of throughput).
	"queued.max.messages.kbytes": 512,
	// librdkafka holds every message of a fetched record batch, and
	// of a compressed batch its whole decompressed copy, until the
	// last one is consumed: fetching 256 KiB per partition instead of
	// 1 MiB keeps fewer batches alive (the C heap of a 6-task worker on
	// the benchmark's lz4 batches went from ~45 to ~24 MiB). Once the
	// queue is full, the next fetch waits 10 ms, not 1 s, for room.
	"fetch.message.max.bytes": 256 << 10,
	"fetch.queue.backoff.ms":  10,
	"fetch.max.bytes":         1 << 20,
	// The broker returns the first record batch of a fetch whole even
	// when it is larger than the fetch sizes (KIP-74), and librdkafka
	// drops the connection on any response above this bound and fetches
	// the same batch again, forever. It is only a sanity bound (a buffer
	// is allocated for the response actually received), so it is set to
	// librdkafka's maximum: any record the broker accepted is delivered.
	"receive.message.max.bytes": maxReceiveBytes,
}

const maxReceiveBytes = 1<<31 - 1

// Java consumer keys librdkafka spells differently.
var javaConsumerRenames = map[string]string{
	"max.partition.fetch.bytes": "fetch.message.max.bytes",
	"fetch.max.wait.ms":         "fetch.wait.max.ms",
	"receive.buffer.bytes":      "socket.receive.buffer.bytes",
	"send.buffer.bytes":         "socket.send.buffer.bytes",
}

// Java consumer keys with no librdkafka counterpart that change nothing a
// sink task can observe: they are ignored with a warning.
var javaConsumerIgnored = map[string]string{
	"key.deserializer":              "sink tasks always read raw bytes and convert them with key.converter",
	"value.deserializer":            "sink tasks always read raw bytes and convert them with value.converter",
	"request.timeout.ms":            "librdkafka bounds consumer requests with socket.timeout.ms",
	"default.api.timeout.ms":        "librdkafka has no such timeout",
	"metric.reporters":              "Java metric reporters cannot run in this worker",
	"metrics.num.samples":           "Java client metrics are not kept",
	"metrics.recording.level":       "Java client metrics are not kept",
	"metrics.sample.window.ms":      "Java client metrics are not kept",
	"auto.include.jmx.reporter":     "there is no JMX",
	"enable.metrics.push":           "Java client metrics are not kept",
	"internal.leave.group.on.close": "sink consumers always leave the group when they close",
}

// sinkConsumerConfig turns the consumer.* / consumer.override.* settings a
// Connect user writes (Java consumer keys; librdkafka keys are accepted
// too) into the sink consumer's librdkafka configuration over the
// defaults above. It returns max.poll.records (which bounds a put, and
// librdkafka does not have) and warnings for settings that have no effect.
func sinkConsumerConfig(user map[string]string) (cm kafka.ConfigMap, maxPollRecords int, warnings []string, err error) {
	cm = maps.Clone(sinkConsumerDefaults)
	set := map[string]bool{}
	maxPollRecords = 500 // Connect's consumer default
	for k, v := range user {
		key := k
		if to, ok := javaConsumerRenames[k]; ok {
			key = to
			if (k == "receive.buffer.bytes" || k == "send.buffer.bytes") && strings.TrimSpace(v) == "-1" {
				v = "0" // the operating system's default, in each client's spelling
			}
		}
		switch key {
		case "max.poll.records":
			n, perr := strconv.Atoi(strings.TrimSpace(v))
			if perr != nil || n < 1 {
				return nil, 0, nil, fmt.Errorf("Invalid value %s for configuration max.poll.records: must be an integer of at least 1", v)
			}
			maxPollRecords = n
			continue
		case "auto.offset.reset":
			if strings.EqualFold(strings.TrimSpace(v), "none") {
				v = "error" // fail on a partition without a committed offset, as Java's consumer throws
			}
		case "partition.assignment.strategy":
			// The runner assigns incrementally, so only the cooperative
			// protocol works; Connect's default list includes it.
			if !strings.Contains(v, "CooperativeStickyAssignor") && !strings.Contains(v, "cooperative-sticky") {
				return nil, 0, nil, fmt.Errorf("Invalid value %s for configuration partition.assignment.strategy: sink tasks only support org.apache.kafka.clients.consumer.CooperativeStickyAssignor (cooperative-sticky)", v)
			}
			v = "cooperative-sticky"
		case "interceptor.classes":
			if strings.TrimSpace(v) != "" {
				return nil, 0, nil, fmt.Errorf("Invalid value %s for configuration interceptor.classes: Java consumer interceptors cannot run in this worker", v)
			}
			continue
		}
		if why, ok := javaConsumerIgnored[key]; ok {
			warnings = append(warnings, fmt.Sprintf("consumer setting %s=%s has no effect: %s", k, v, why))
			continue
		}
		if set[key] && key != k {
			continue // the librdkafka spelling, given too, wins
		}
		cm[key] = v
		set[key] = true
	}
	// librdkafka caps fetch.max.bytes at queued.max.messages.kbytes: a
	// fetch size the user asked for raises the queue bound with it.
	if set["fetch.max.bytes"] && !set["queued.max.messages.kbytes"] {
		if n, perr := strconv.Atoi(fmt.Sprint(cm["fetch.max.bytes"])); perr == nil && n/1024+1 > 512 {
			cm["queued.max.messages.kbytes"] = n/1024 + 1
		}
	}
	// librdkafka also wants fetch.max.bytes >= message.max.bytes (its
	// request size bound, 1000000 by default), which Java does not: a
	// smaller fetch size lowers the request bound, which a consumer's
	// small requests never reach.
	if set["fetch.max.bytes"] && !set["message.max.bytes"] {
		if n, perr := strconv.Atoi(fmt.Sprint(cm["fetch.max.bytes"])); perr == nil && n < 1000000 {
			cm["message.max.bytes"] = max(n, 1000)
		}
	}
	return cm, maxPollRecords, warnings, nil
}
