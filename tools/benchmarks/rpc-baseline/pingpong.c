#include "CBatonRPCBaseline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct echo_args {
    int listener;
    size_t payload;
    int iterations;
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_fully(int fd, uint8_t *buffer, size_t length) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = read(fd, buffer + done, length - done);
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static void *echo_server(void *raw) {
    struct echo_args *args = raw;
    int fd = accept(args->listener, NULL, NULL);
    uint8_t *buffer = malloc(args->payload);
    for (int i = 0; fd >= 0 && i < args->iterations; i++) {
        if (read_fully(fd, buffer, args->payload) != 0) break;
        if (write(fd, buffer, args->payload) != (ssize_t)args->payload) break;
    }
    free(buffer);
    if (fd >= 0) close(fd);
    return NULL;
}

int cbaton_pingpong(const char *path, size_t payload, int iterations, uint64_t *latencies) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, path, sizeof(address.sun_path) - 1);
    unlink(path);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0) return -1;
    if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 1) != 0) {
        close(listener);
        return -1;
    }
    struct echo_args args = {listener, payload, iterations};
    pthread_t server;
    pthread_create(&server, NULL, echo_server, &args);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) return -1;
    uint8_t *buffer = calloc(1, payload);
    int result = 0;
    for (int i = 0; i < iterations; i++) {
        uint64_t start = now_ns();
        if (write(fd, buffer, payload) != (ssize_t)payload || read_fully(fd, buffer, payload) != 0) {
            result = -1;
            break;
        }
        latencies[i] = now_ns() - start;
    }
    free(buffer);
    close(fd);
    pthread_join(server, NULL);
    close(listener);
    unlink(path);
    return result;
}
