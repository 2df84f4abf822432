// libFuzzer's entry for programs with their own main (-sanitize=fuzzer links it). SwiftPM names
// every executable's main itself, so libFuzzer's own main cannot take its place: each target's
// main.swift hands its callback to this instead.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

// libFuzzer's own mutations, for a custom mutator (LLVMFuzzerCustomMutator) to fall back on.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
