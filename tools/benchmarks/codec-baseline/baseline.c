#include "CBatonCodecBaseline.h"

#include <stdlib.h>
#include <time.h>

#include "baton/v1/chats.pb-c.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cbaton_baseline_encode_ns(const uint8_t *wire, size_t length, int iterations) {
    Baton__V1__Chat *chat = baton__v1__chat__unpack(NULL, length, wire);
    if (chat == NULL) return 0;
    uint64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        size_t size = baton__v1__chat__get_packed_size(chat);
        uint8_t *out = malloc(size);
        baton__v1__chat__pack(chat, out);
        // Keep the compiler from dropping the pack.
        __asm__ volatile("" : : "r"(out) : "memory");
        free(out);
    }
    uint64_t elapsed = now_ns() - start;
    baton__v1__chat__free_unpacked(chat, NULL);
    return elapsed;
}

uint64_t cbaton_baseline_decode_ns(const uint8_t *wire, size_t length, int iterations) {
    uint64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        Baton__V1__Chat *chat = baton__v1__chat__unpack(NULL, length, wire);
        if (chat == NULL) return 0;
        baton__v1__chat__free_unpacked(chat, NULL);
    }
    return now_ns() - start;
}
