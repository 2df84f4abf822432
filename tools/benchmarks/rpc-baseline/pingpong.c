#define _GNU_SOURCE
#include "CBatonRPCBaseline.h"

#include <sched.h>
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
    int cpu;
};

int cbaton_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0) {
        for (int each = 0; each < CPU_SETSIZE; each++) CPU_SET(each, &set);
    } else {
        CPU_SET(cpu, &set);
    }
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0 ? 0 : -1;
}

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
    if (args->cpu >= 0) cbaton_pin_to_cpu(args->cpu);
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

int cbaton_pingpong(const char *path, size_t payload, int iterations, uint64_t *latencies, int client_cpu,
                    int server_cpu) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, path, sizeof(address.sun_path) - 1);
    unlink(path);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0) return -1;
    if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 1) != 0) {
        close(listener);
        return -1;
    }
    struct echo_args args = {listener, payload, iterations, server_cpu};
    pthread_t server;
    pthread_create(&server, NULL, echo_server, &args);
    if (client_cpu >= 0) cbaton_pin_to_cpu(client_cpu);
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
    if (client_cpu >= 0) cbaton_pin_to_cpu(-1);  // give the calling thread back every CPU
    return result;
}
