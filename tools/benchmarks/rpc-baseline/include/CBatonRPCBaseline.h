// The physical floor for tools/benchmarks/rpc-benchmark: a raw C ping-pong of the same payload
// over a Unix socket, one thread each side, nothing but write() and read().
#ifndef CBATON_RPC_BASELINE_H
#define CBATON_RPC_BASELINE_H

#include <stddef.h>
#include <stdint.h>

/// Runs `iterations` round trips of `payload` bytes between two threads over a Unix socket
/// bound at `path`, storing each round trip's nanoseconds in `latencies` (room for
/// `iterations`). The client thread runs on CPU `client_cpu` and the echo thread on
/// `server_cpu` (-1: wherever the kernel puts it). Returns 0, or -1 with errno set.
int cbaton_pingpong(const char *path, size_t payload, int iterations, uint64_t *latencies, int client_cpu,
                    int server_cpu);

/// Pins the calling thread to CPU `cpu`, or frees it to run on any CPU when `cpu` is -1.
/// Returns 0, or -1 with errno set.
int cbaton_pin_to_cpu(int cpu);

#endif
