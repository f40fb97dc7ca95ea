package task

import (
	"fmt"
	"strings"
	"testing"
)

func TestSinkConsumerConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     map[string]string
		want     map[string]string // librdkafka key -> value ("" = absent)
		maxPoll  int
		warnings int
		err      string
	}{
		{name: "defaults keep memory bounds and accept any record",
			want:    map[string]string{"fetch.message.max.bytes": "262144", "fetch.max.bytes": "1048576", "queued.max.messages.kbytes": "512", "receive.message.max.bytes": "2147483647", "message.max.bytes": "", "isolation.level": "read_uncommitted"},
			maxPoll: 500},
		{name: "java keys are translated",
			user: map[string]string{"max.partition.fetch.bytes": "65536", "fetch.max.wait.ms": "250", "fetch.min.bytes": "10", "max.poll.records": "7",
				"receive.buffer.bytes": "-1", "send.buffer.bytes": "131072", "auto.offset.reset": "none"},
			want: map[string]string{"fetch.message.max.bytes": "65536", "fetch.wait.max.ms": "250", "fetch.min.bytes": "10", "max.poll.records": "",
				"socket.receive.buffer.bytes": "0", "socket.send.buffer.bytes": "131072", "auto.offset.reset": "error", "max.partition.fetch.bytes": ""},
			maxPoll: 7},
		{name: "a large fetch size raises the queue bound",
			user:    map[string]string{"fetch.max.bytes": "52428800"},
			want:    map[string]string{"fetch.max.bytes": "52428800", "queued.max.messages.kbytes": "51201", "receive.message.max.bytes": "2147483647"},
			maxPoll: 500},
		{name: "a small fetch size lowers the request bound",
			user:    map[string]string{"fetch.max.bytes": "131072"},
			want:    map[string]string{"fetch.max.bytes": "131072", "message.max.bytes": "131072", "queued.max.messages.kbytes": "512"},
			maxPoll: 500},
		{name: "java-only settings warn",
			user:    map[string]string{"request.timeout.ms": "1000", "key.deserializer": "x"},
			want:    map[string]string{"request.timeout.ms": "", "key.deserializer": ""},
			maxPoll: 500, warnings: 2},
		{name: "connect's default assignors", user: map[string]string{"partition.assignment.strategy": "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor"},
			want: map[string]string{"partition.assignment.strategy": "cooperative-sticky"}, maxPoll: 500},
		{name: "eager assignor refused", user: map[string]string{"partition.assignment.strategy": "org.apache.kafka.clients.consumer.RangeAssignor"}, err: "CooperativeStickyAssignor"},
		{name: "interceptors refused", user: map[string]string{"interceptor.classes": "com.example.X"}, err: "interceptor"},
		{name: "bad max.poll.records", user: map[string]string{"max.poll.records": "0"}, err: "max.poll.records"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cm, maxPoll, warnings, err := sinkConsumerConfig(tc.user)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				got, ok := cm[k]
				if v == "" {
					if ok {
						t.Errorf("%s = %v, want absent", k, got)
					}
					continue
				}
				if fmt.Sprint(got) != v {
					t.Errorf("%s = %v, want %s", k, got, v)
				}
			}
			if maxPoll != tc.maxPoll || len(warnings) != tc.warnings {
				t.Errorf("max.poll.records %d (want %d), warnings %q", maxPoll, tc.maxPoll, warnings)
			}
		})
	}
}
