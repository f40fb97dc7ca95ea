// Command waitfor waits until a local server answers its own protocol:
//
//	waitfor kafka 127.0.0.1:9092 60s
//	waitfor cql 127.0.0.1:9042 120s
//	waitfor cqlring 127.0.0.1:9043,127.0.0.2:9043,127.0.0.3:9043 120s
//	waitfor http http://127.0.0.1:8081/subjects 30s
//	waitfor cql-secured 127.0.0.1:9142 240s   (also makes the tests' role)
//
// It prints what answered (cluster id, release version) and exits 0, or
// exits 1 when the timeout passes, with the last error.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gonnect/gonnect/stack"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: waitfor kafka|cql|cql-secured|cqlring|http ADDRESS TIMEOUT")
		os.Exit(2)
	}
	kind, addr := os.Args[1], os.Args[2]
	timeout, err := time.ParseDuration(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad timeout:", err)
		os.Exit(2)
	}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var out string
		switch kind {
		case "kafka":
			out, last = stack.PingKafka(ctx, addr)
		case "cql":
			out, last = stack.PingCassandra(ctx, strings.Split(addr, ","))
		case "cql-secured":
			out, last = stack.SetupSecuredCassandra(ctx, strings.Split(addr, ","))
		case "cqlring":
			out, last = stack.PingCassandraRing(ctx, strings.Split(addr, ","))
		case "http":
			last = stack.PingHTTP(ctx, addr)
		default:
			fmt.Fprintln(os.Stderr, "unknown kind", kind)
			os.Exit(2)
		}
		cancel()
		if last == nil {
			fmt.Println(out)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "%s at %s did not answer within %s: %v\n", kind, addr, timeout, last)
	os.Exit(1)
}
