// The raw-C side of tools/benchmarks/codec-benchmark: protobuf-c's own pack and unpack of a
// baton.v1.Chat with nothing around them, the floor the Swift layer is measured against.
#ifndef CBATON_CODEC_BASELINE_H
#define CBATON_CODEC_BASELINE_H

#include <stddef.h>
#include <stdint.h>

/// Unpacks `wire` once, then `iterations` times sizes it, packs it into a freshly malloc'd buffer
/// and frees that (what a C caller does to hand bytes on). Returns elapsed nanoseconds, or 0 if
/// `wire` is not a baton.v1.Chat.
uint64_t cbaton_baseline_encode_ns(const uint8_t *wire, size_t length, int iterations);

/// `iterations` times unpacks `wire` with protobuf-c's default allocator and frees the result.
/// Returns elapsed nanoseconds, or 0 if `wire` is not a baton.v1.Chat.
uint64_t cbaton_baseline_decode_ns(const uint8_t *wire, size_t length, int iterations);

#endif
