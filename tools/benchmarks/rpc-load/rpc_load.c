// A load client for batond written from Protos/PROTOCOL.md alone, and the raw floor it is
// compared with. Two commands:
//
//   rpc-load floor-server SOCKET
//       The floor: echoes whatever arrives on each connection (a thread per connection, nothing
//       but read() and write()). Run as its own process so its CPU is read from /proc like
//       batond's.
//   rpc-load run --socket PATH --server-pid PID [--wire baton|floor] [--connections C]
//                [--in-flight K] [--seconds D] [--warmup W] [--payload N]
//       Keeps K calls in flight on each of C connections for W + D seconds and prints one line
//       of key=value figures for the last D seconds: calls/s, p50/p99 latency, the server's
//       CPU per call (utime + stime of PID from /proc/PID/stat) and this process's CPU per call.
//       --wire baton: 64-byte TestService/Unary echoes (HEADERS, MESSAGE, CLOSE_SEND; answered
//       by MESSAGE, TRAILERS, after a HEADERS only when the server sends response metadata).
//       --wire floor: the same payload written raw and echoed.
//
// One thread drives every connection, so the client's own CPU stays small next to the server's.
// With one connection it blocks in read() instead of poll(), as a sequential client would.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { FRAME_HEADERS = 1, FRAME_MESSAGE = 2, FRAME_CLOSE_SEND = 3, FRAME_TRAILERS = 4, FRAME_CANCEL = 5,
       FRAME_PING = 6, FRAME_GOAWAY = 7, FRAME_SETTINGS = 8, FRAME_WINDOW_UPDATE = 9 };
enum { FLAG_ACK = 0x01 };
enum { FRAME_HEADER_BYTES = 10, PREFACE_BYTES = 10 };
// The largest frame we accept: the protocol default, since our SETTINGS does not lower it.
enum { MAX_FRAME_BYTES = 4194304 };
// Our receive window per call, announced in SETTINGS; we grant credit after min(half, 32) messages.
enum { RESPONSE_WINDOW = 64, GRANT_EVERY = RESPONSE_WINDOW / 2 < 32 ? RESPONSE_WINDOW / 2 : 32 };
// Open calls are found by stream id in a ring; ids grow by one per call, so a ring well above
// the calls in flight only collides when one call outlives 4,096 younger ones.
enum { CALL_RING = 4096 };

static const uint8_t preface[PREFACE_BYTES] = {'B', 'A', 'T', 'O', 'N', 'R', 'P', 'C', 0, 1};
static const char method[] = "/baton.test.v1.TestService/Unary";
static const char agent[] = "rpc-load/1";

static void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fputs("rpc-load: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(2);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t process_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// utime + stime of every thread of `pid`, in nanoseconds (fields 14 and 15 of /proc/PID/stat).
static uint64_t server_cpu_ns(int pid) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) die("cannot read %s: %s", path, strerror(errno));
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = 0;
    // The command name (field 2) may hold spaces; the fields after it start after the last ')'.
    char *cursor = strrchr(text, ')');
    if (!cursor) die("unexpected %s", path);
    unsigned long long utime = 0, stime = 0;
    if (sscanf(cursor + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        die("unexpected %s", path);
    long ticks = sysconf(_SC_CLK_TCK);
    return (utime + stime) * (1000000000ull / (uint64_t)ticks);
}

// ---- Buffers and the protobuf wire format, by hand ----

struct buffer {
    uint8_t *bytes;
    size_t length, capacity;
};

static void reserve(struct buffer *buffer, size_t more) {
    if (buffer->length + more <= buffer->capacity) return;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->length + more) capacity *= 2;
    buffer->bytes = realloc(buffer->bytes, capacity);
    if (!buffer->bytes) die("out of memory");
    buffer->capacity = capacity;
}

static void append(struct buffer *buffer, const void *bytes, size_t length) {
    reserve(buffer, length);
    memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length += length;
}

static size_t put_varint(uint8_t *out, uint64_t value) {
    size_t n = 0;
    while (value >= 0x80) {
        out[n++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    out[n++] = (uint8_t)value;
    return n;
}

static size_t put_bytes_field(uint8_t *out, unsigned field, const void *bytes, size_t length) {
    size_t n = put_varint(out, (uint64_t)field << 3 | 2);
    n += put_varint(out + n, length);
    memcpy(out + n, bytes, length);
    return n + length;
}

static void put_u32(uint8_t *out, uint32_t value) {
    out[0] = (uint8_t)(value >> 24);
    out[1] = (uint8_t)(value >> 16);
    out[2] = (uint8_t)(value >> 8);
    out[3] = (uint8_t)value;
}

static uint32_t get_u32(const uint8_t *in) {
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

static void append_frame(struct buffer *out, uint32_t stream, uint8_t type, uint8_t flags, const void *payload,
                         size_t length) {
    uint8_t header[FRAME_HEADER_BYTES];
    put_u32(header, (uint32_t)length);
    put_u32(header + 4, stream);
    header[8] = type;
    header[9] = flags;
    append(out, header, sizeof header);
    if (length) append(out, payload, length);
}

// One protobuf field as read by next_field: a varint's value, or a length-delimited field's bytes.
struct field {
    unsigned number, wire_type;
    uint64_t value;
    const uint8_t *bytes;
    size_t length;
};

static int read_varint(const uint8_t **cursor, const uint8_t *end, uint64_t *value) {
    uint64_t result = 0;
    for (unsigned shift = 0; shift < 64 && *cursor < end; shift += 7) {
        uint8_t byte = *(*cursor)++;
        result |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = result;
            return 0;
        }
    }
    return -1;
}

// Returns 1 with the next field, 0 at the end, -1 on a malformed message.
static int next_field(const uint8_t **cursor, const uint8_t *end, struct field *field) {
    if (*cursor == end) return 0;
    uint64_t key;
    if (read_varint(cursor, end, &key) != 0) return -1;
    field->number = (unsigned)(key >> 3);
    field->wire_type = (unsigned)(key & 7);
    field->bytes = NULL;
    field->length = 0;
    switch (field->wire_type) {
    case 0:
        return read_varint(cursor, end, &field->value) == 0 ? 1 : -1;
    case 1:
    case 5: {
        size_t size = field->wire_type == 1 ? 8 : 4;
        if ((size_t)(end - *cursor) < size) return -1;
        *cursor += size;
        return 1;
    }
    case 2: {
        uint64_t length;
        if (read_varint(cursor, end, &length) != 0 || length > (uint64_t)(end - *cursor)) return -1;
        field->bytes = *cursor;
        field->length = (size_t)length;
        *cursor += length;
        return 1;
    }
    default:
        return -1;
    }
}

// ---- The run ----

enum wire { WIRE_BATON, WIRE_FLOOR };
enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_DRAIN };

struct call {
    uint32_t stream;  // 0: the slot is free
    uint32_t responses, unacknowledged;
    uint64_t started_ns;
};

struct connection {
    int fd;
    struct buffer in, out;
    int preface_checked;
    uint32_t next_stream, max_concurrent_calls;
    int in_flight;
    struct call *calls;     // baton: CALL_RING slots by stream id
    uint64_t *echo_starts;  // floor: a FIFO of start times, answers come back in order
    size_t echo_head, echo_count, echo_capacity;
};

struct run {
    enum wire wire;
    int connections, in_flight, server_pid;
    size_t payload;
    enum phase phase;
    uint8_t *request_message;  // an EchoRequest { payload }
    size_t request_length;
    uint8_t *call_headers;  // a CallHeaders { method }
    size_t call_headers_length;
    uint64_t *latencies;
    size_t latency_count, latency_capacity;
    uint64_t calls, failures;
};

static void record_completion(struct run *run, uint64_t started_ns, uint64_t now) {
    if (run->phase != PHASE_MEASURE) return;
    run->calls++;
    if (run->latency_count == run->latency_capacity) {
        run->latency_capacity = run->latency_capacity ? run->latency_capacity * 2 : 1 << 16;
        run->latencies = realloc(run->latencies, run->latency_capacity * sizeof *run->latencies);
        if (!run->latencies) die("out of memory");
    }
    run->latencies[run->latency_count++] = now - started_ns;
}

static void open_call(struct run *run, struct connection *connection, uint64_t now) {
    if (run->wire == WIRE_FLOOR) {
        if (connection->echo_count == connection->echo_capacity) die("echo FIFO full");
        size_t tail = (connection->echo_head + connection->echo_count) % connection->echo_capacity;
        connection->echo_starts[tail] = now;
        connection->echo_count++;
        reserve(&connection->out, run->payload);
        memset(connection->out.bytes + connection->out.length, 0x5a, run->payload);
        connection->out.length += run->payload;
        connection->in_flight++;
        return;
    }
    uint32_t stream = connection->next_stream++;
    if (stream == 0) die("stream ids used up; the run is too long for one connection");
    struct call *call = &connection->calls[stream % CALL_RING];
    if (call->stream != 0) die("call %u is still open %d calls later", call->stream, CALL_RING);
    *call = (struct call){.stream = stream, .started_ns = now};
    append_frame(&connection->out, stream, FRAME_HEADERS, 0, run->call_headers, run->call_headers_length);
    append_frame(&connection->out, stream, FRAME_MESSAGE, 0, run->request_message, run->request_length);
    append_frame(&connection->out, stream, FRAME_CLOSE_SEND, 0, NULL, 0);
    connection->in_flight++;
}

static void finish_call(struct run *run, struct connection *connection, uint64_t started_ns, uint64_t now) {
    connection->in_flight--;
    record_completion(run, started_ns, now);
    if (run->phase != PHASE_DRAIN) open_call(run, connection, now);
}

static void check_settings(struct connection *connection, const uint8_t *payload, size_t length) {
    const uint8_t *cursor = payload, *end = payload + length;
    struct field field;
    int more;
    while ((more = next_field(&cursor, end, &field)) == 1) {
        if (field.number == 2 && field.wire_type == 0 && field.value != 0)
            connection->max_concurrent_calls = (uint32_t)field.value;
    }
    if (more < 0) die("undecodable SETTINGS from the server");
}

static void report_goaway(const uint8_t *payload, size_t length) {
    const uint8_t *cursor = payload, *end = payload + length;
    struct field field;
    uint64_t code = 0;
    const char *reason = "";
    int reason_length = 0;
    while (next_field(&cursor, end, &field) == 1) {
        if (field.number == 2 && field.wire_type == 0) code = field.value;
        if (field.number == 3 && field.wire_type == 2) {
            reason = (const char *)field.bytes;
            reason_length = (int)field.length;
        }
    }
    die("the server sent GOAWAY code %llu: %.*s", (unsigned long long)code, reason_length, reason);
}

// The status code of a Trailers (absent: OK), and its message for the first failure we report.
static uint64_t trailers_status(const uint8_t *payload, size_t length, const uint8_t **message,
                                size_t *message_length) {
    const uint8_t *cursor = payload, *end = payload + length;
    struct field field;
    uint64_t code = 0;
    *message = NULL;
    *message_length = 0;
    while (next_field(&cursor, end, &field) == 1) {
        if (field.number != 1 || field.wire_type != 2) continue;
        const uint8_t *status = field.bytes, *status_end = field.bytes + field.length;
        struct field inner;
        while (next_field(&status, status_end, &inner) == 1) {
            if (inner.number == 1 && inner.wire_type == 0) code = inner.value;
            if (inner.number == 2 && inner.wire_type == 2) {
                *message = inner.bytes;
                *message_length = inner.length;
            }
        }
    }
    return code;
}

// The length of an EchoResponse's payload (field 2), or -1 if it does not decode.
static long echoed_payload_length(const uint8_t *payload, size_t length) {
    const uint8_t *cursor = payload, *end = payload + length;
    struct field field;
    long echoed = 0;
    int more;
    while ((more = next_field(&cursor, end, &field)) == 1) {
        if (field.number == 2 && field.wire_type == 2) echoed = (long)field.length;
    }
    return more < 0 ? -1 : echoed;
}

static void handle_frame(struct run *run, struct connection *connection, uint32_t stream, uint8_t type, uint8_t flags,
                         const uint8_t *payload, size_t length, uint64_t now) {
    switch (type) {
    case FRAME_SETTINGS:
        check_settings(connection, payload, length);
        if ((uint32_t)run->in_flight > connection->max_concurrent_calls)
            die("the server allows %u calls per connection; asked for %d", connection->max_concurrent_calls,
                run->in_flight);
        return;
    case FRAME_PING:
        if (!(flags & FLAG_ACK)) append_frame(&connection->out, 0, FRAME_PING, FLAG_ACK, payload, length);
        return;
    case FRAME_GOAWAY:
        report_goaway(payload, length);
    case FRAME_HEADERS:
    case FRAME_MESSAGE:
    case FRAME_TRAILERS:
        break;
    default:
        // WINDOW_UPDATE: a unary call sends one message, within the initial credit. CLOSE_SEND
        // and CANCEL are never sent by a server; unknown types do not reach us from batond.
        return;
    }
    struct call *call = &connection->calls[stream % CALL_RING];
    if (call->stream != stream) return;  // a call that already ended: frames may cross
    if (type == FRAME_MESSAGE) {
        call->responses++;
        if (echoed_payload_length(payload, length) != (long)run->payload) die("call %u: a wrong echo", stream);
        // Grant credit as the spec asks, after min(half the window, 32) consumed messages.
        if (++call->unacknowledged == GRANT_EVERY) {
            uint8_t update[8];
            size_t n = put_varint(update, 1 << 3 | 0);
            n += put_varint(update + n, call->unacknowledged);
            append_frame(&connection->out, stream, FRAME_WINDOW_UPDATE, 0, update, n);
            call->unacknowledged = 0;
        }
        return;
    }
    if (type == FRAME_TRAILERS) {
        const uint8_t *message;
        size_t message_length;
        uint64_t code = trailers_status(payload, length, &message, &message_length);
        if (code != 0 || call->responses != 1) {
            if (run->failures++ == 0)
                fprintf(stderr, "rpc-load: call %u ended with status %llu (%.*s), %u responses\n", stream,
                        (unsigned long long)code, (int)message_length, message ? (const char *)message : "",
                        call->responses);
        }
        uint64_t started_ns = call->started_ns;
        call->stream = 0;
        finish_call(run, connection, started_ns, now);
    }
}

static void handle_input(struct run *run, struct connection *connection, uint64_t now) {
    struct buffer *in = &connection->in;
    size_t position = 0;
    if (run->wire == WIRE_FLOOR) {
        while (in->length - position >= run->payload) {
            position += run->payload;
            uint64_t started_ns = connection->echo_starts[connection->echo_head];
            connection->echo_head = (connection->echo_head + 1) % connection->echo_capacity;
            connection->echo_count--;
            finish_call(run, connection, started_ns, now);
        }
    } else {
        if (!connection->preface_checked) {
            if (in->length < PREFACE_BYTES) return;
            if (memcmp(in->bytes, preface, PREFACE_BYTES) != 0) die("the server's preface is not BATONRPC version 1");
            connection->preface_checked = 1;
            position = PREFACE_BYTES;
        }
        while (in->length - position >= FRAME_HEADER_BYTES) {
            const uint8_t *header = in->bytes + position;
            uint32_t length = get_u32(header);
            if (length > MAX_FRAME_BYTES) die("the server sent a frame of %u bytes", length);
            if (in->length - position - FRAME_HEADER_BYTES < length) break;
            handle_frame(run, connection, get_u32(header + 4), header[8], header[9], header + FRAME_HEADER_BYTES,
                         length, now);
            position += FRAME_HEADER_BYTES + length;
        }
    }
    memmove(in->bytes, in->bytes + position, in->length - position);
    in->length -= position;
}

static void write_all(int fd, const uint8_t *bytes, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, bytes, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write: %s", strerror(errno));
        bytes += n;
        length -= (size_t)n;
    }
}

static void flush(struct connection *connection) {
    if (connection->out.length == 0) return;
    write_all(connection->fd, connection->out.bytes, connection->out.length);
    connection->out.length = 0;
}

static void read_some(struct run *run, struct connection *connection) {
    reserve(&connection->in, 65536);
    ssize_t n = read(connection->fd, connection->in.bytes + connection->in.length,
                     connection->in.capacity - connection->in.length);
    if (n < 0 && errno == EINTR) return;
    if (n < 0) die("read: %s", strerror(errno));
    if (n == 0) die("the server closed the connection");
    connection->in.length += (size_t)n;
    handle_input(run, connection, now_ns());
}

static int connect_to(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) die("socket path too long: %s", path);
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        die("cannot connect to %s: %s", path, strerror(errno));
    return fd;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_us(const struct run *run, double fraction) {
    if (run->latency_count == 0) return 0;
    size_t index = (size_t)(fraction * (double)(run->latency_count - 1) + 0.5);
    return (double)run->latencies[index] / 1000.0;
}

static void prepare_messages(struct run *run) {
    uint8_t *payload = malloc(run->payload);
    memset(payload, 0x5a, run->payload);
    run->request_message = malloc(run->payload + 16);
    run->request_length = put_bytes_field(run->request_message, 2, payload, run->payload);
    free(payload);
    run->call_headers = malloc(sizeof method + 16);
    run->call_headers_length = put_bytes_field(run->call_headers, 1, method, strlen(method));
}

static void start_connection(struct run *run, struct connection *connection, const char *path) {
    *connection = (struct connection){.fd = connect_to(path), .next_stream = 1, .max_concurrent_calls = 100};
    if (run->wire == WIRE_FLOOR) {
        connection->echo_capacity = (size_t)run->in_flight;
        connection->echo_starts = calloc(connection->echo_capacity, sizeof *connection->echo_starts);
        return;
    }
    connection->calls = calloc(CALL_RING, sizeof *connection->calls);
    append(&connection->out, preface, sizeof preface);
    uint8_t settings[64];
    size_t n = put_varint(settings, 3 << 3 | 0);
    n += put_varint(settings + n, RESPONSE_WINDOW);
    n += put_bytes_field(settings + n, 5, agent, strlen(agent));
    append_frame(&connection->out, 0, FRAME_SETTINGS, 0, settings, n);
}

static void usage(void) {
    fputs("usage: rpc-load floor-server SOCKET\n"
          "       rpc-load run --socket PATH --server-pid PID [--wire baton|floor] [--connections C]\n"
          "                    [--in-flight K] [--seconds D] [--warmup W] [--payload N]\n",
          stderr);
    exit(2);
}

static int run_load(int argc, char **argv) {
    struct run run = {.wire = WIRE_BATON, .connections = 1, .in_flight = 1, .payload = 64};
    const char *path = NULL;
    double seconds = 3, warmup = 0.5;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) usage();
        const char *name = argv[i], *value = argv[i + 1];
        if (!strcmp(name, "--socket")) path = value;
        else if (!strcmp(name, "--server-pid")) run.server_pid = atoi(value);
        else if (!strcmp(name, "--wire") && !strcmp(value, "baton")) run.wire = WIRE_BATON;
        else if (!strcmp(name, "--wire") && !strcmp(value, "floor")) run.wire = WIRE_FLOOR;
        else if (!strcmp(name, "--connections")) run.connections = atoi(value);
        else if (!strcmp(name, "--in-flight")) run.in_flight = atoi(value);
        else if (!strcmp(name, "--seconds")) seconds = atof(value);
        else if (!strcmp(name, "--warmup")) warmup = atof(value);
        else if (!strcmp(name, "--payload")) run.payload = (size_t)atol(value);
        else usage();
    }
    if (!path || run.server_pid <= 0 || run.connections < 1 || run.in_flight < 1 || run.in_flight >= CALL_RING ||
        seconds <= 0 || warmup < 0 || run.payload < 1 || run.payload > 65536)
        usage();
    prepare_messages(&run);

    struct connection *connections = calloc((size_t)run.connections, sizeof *connections);
    struct pollfd *polls = calloc((size_t)run.connections, sizeof *polls);
    uint64_t started = now_ns();
    for (int c = 0; c < run.connections; c++) {
        start_connection(&run, &connections[c], path);
        for (int k = 0; k < run.in_flight; k++) open_call(&run, &connections[c], started);
        flush(&connections[c]);
        polls[c] = (struct pollfd){.fd = connections[c].fd, .events = POLLIN};
    }
    uint64_t measure_from = started + (uint64_t)(warmup * 1e9), measure_until = measure_from + (uint64_t)(seconds * 1e9);
    uint64_t measured_ns = 0, server_cpu = 0, client_cpu = 0;
    for (;;) {
        if (run.connections == 1) {
            read_some(&run, &connections[0]);
        } else {
            if (poll(polls, (nfds_t)run.connections, 1000) < 0 && errno != EINTR) die("poll: %s", strerror(errno));
            for (int c = 0; c < run.connections; c++) {
                if (polls[c].revents & (POLLIN | POLLHUP | POLLERR)) read_some(&run, &connections[c]);
            }
        }
        for (int c = 0; c < run.connections; c++) flush(&connections[c]);
        uint64_t now = now_ns();
        if (run.phase == PHASE_WARMUP && now >= measure_from) {
            run.phase = PHASE_MEASURE;
            measured_ns = now;
            server_cpu = server_cpu_ns(run.server_pid);
            client_cpu = process_cpu_ns();
        } else if (run.phase == PHASE_MEASURE && now >= measure_until) {
            run.phase = PHASE_DRAIN;
            measured_ns = now - measured_ns;
            server_cpu = server_cpu_ns(run.server_pid) - server_cpu;
            client_cpu = process_cpu_ns() - client_cpu;
        }
        if (run.phase == PHASE_DRAIN) {
            int open = 0;
            for (int c = 0; c < run.connections; c++) open += connections[c].in_flight;
            if (open == 0) break;
        }
    }
    for (int c = 0; c < run.connections; c++) close(connections[c].fd);

    qsort(run.latencies, run.latency_count, sizeof *run.latencies, compare_u64);
    double calls = (double)(run.calls ? run.calls : 1);
    printf("wire=%s connections=%d in_flight=%d calls=%llu seconds=%.3f calls_per_s=%.0f p50_us=%.2f p99_us=%.2f "
           "server_cpu_us=%.3f client_cpu_us=%.3f failures=%llu\n",
           run.wire == WIRE_BATON ? "baton" : "floor", run.connections, run.in_flight, (unsigned long long)run.calls,
           (double)measured_ns / 1e9, (double)run.calls / ((double)measured_ns / 1e9), percentile_us(&run, 0.50),
           percentile_us(&run, 0.99), (double)server_cpu / 1000.0 / calls, (double)client_cpu / 1000.0 / calls,
           (unsigned long long)run.failures);
    return run.failures ? 1 : 0;
}

// ---- The floor server ----

static void *echo_connection(void *raw) {
    int fd = (int)(intptr_t)raw;
    uint8_t buffer[65536];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        const uint8_t *bytes = buffer;
        size_t length = (size_t)n;
        while (length > 0) {
            ssize_t written = write(fd, bytes, length);
            if (written <= 0) goto done;
            bytes += written;
            length -= (size_t)written;
        }
    }
done:
    close(fd);
    return NULL;
}

static int floor_server(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) die("socket path too long: %s", path);
    strcpy(address.sun_path, path);
    unlink(path);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 64) != 0)
        die("cannot listen on %s: %s", path, strerror(errno));
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            die("accept: %s", strerror(errno));
        }
        pthread_t thread;
        if (pthread_create(&thread, NULL, echo_connection, (void *)(intptr_t)fd) != 0) die("pthread_create");
        pthread_detach(thread);
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "floor-server")) return floor_server(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "run")) return run_load(argc, argv);
    usage();
}
