//go:build linux && cgo

package main

/*
#include <malloc.h>
#include <stdlib.h>

// Runs when the program is loaded, before the Go runtime starts any thread:
// glibc fixes its arena limit the first time a thread other than the main
// one allocates, so a mallopt from Go's init would come too late for it.
__attribute__((constructor)) static void gonnect_malloc_settings(void) {
#ifdef M_ARENA_MAX
	if (getenv("MALLOC_ARENA_MAX") == NULL) mallopt(M_ARENA_MAX, 2);
#endif
	if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) mallopt(M_MMAP_THRESHOLD, 128 << 10);
}

*/
import "C"

// librdkafka runs a few threads per client and a worker runs a client per
// task, each allocating and freeing fetch buffers of up to a few MiB.
// glibc's defaults keep much of that memory: busy threads get their own
// arenas (up to 8 per core), and after a large buffer is freed the mmap
// threshold rises so the next ones come from the arenas and stay there.
// Two arenas and a fixed 128 KiB threshold (large buffers are mmapped and
// returned on free) cost no measurable speed and tens of MiB of RSS less.
// The MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ variables still override.
// The settings are applied by the C constructor above.
