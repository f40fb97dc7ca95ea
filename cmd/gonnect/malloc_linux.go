//go:build linux && cgo

package main

/*
#include <malloc.h>
#ifdef M_ARENA_MAX
static void gonnect_limit_arenas(int n) { mallopt(M_ARENA_MAX, n); }
#else
static void gonnect_limit_arenas(int n) {}
#endif
*/
import "C"

import "os"

// librdkafka runs a few threads per client and a worker runs a client per
// task; glibc gives busy threads their own malloc arenas (up to 8 per
// core), each keeping freed memory, which costs tens of MiB of RSS for no
// speed. Two arenas are enough; MALLOC_ARENA_MAX still overrides.
func init() {
	if os.Getenv("MALLOC_ARENA_MAX") == "" {
		C.gonnect_limit_arenas(2)
	}
}
