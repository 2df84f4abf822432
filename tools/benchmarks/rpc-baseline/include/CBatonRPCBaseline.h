// The physical floor for tools/benchmarks/rpc-benchmark: a raw C ping-pong of the same payload
// over a Unix socket, one thread each side, nothing but write() and read().
#ifndef CBATON_RPC_BASELINE_H
#define CBATON_RPC_BASELINE_H

#include <stddef.h>
#include <stdint.h>

/// Runs `iterations` round trips of `payload` bytes between two threads over a Unix socket
/// bound at `path`, storing each round trip's nanoseconds in `latencies` (room for
/// `iterations`). Returns 0, or -1 with errno set.
int cbaton_pingpong(const char *path, size_t payload, int iterations, uint64_t *latencies);

#endif
