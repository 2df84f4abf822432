#!/usr/bin/env python3
"""Ask a Baton server whether it is serving: one unary call to /baton.rpc.v1.Health/Check.

A dependency-free client (Python 3 standard library only) written from Protos/PROTOCOL.md, to
show that the wire protocol is enough to talk to batond from any language.

    python3 tools/examples/health_check.py /run/user/1000/baton/batond.sock
    BATON_SOCKET=/tmp/b.sock python3 tools/examples/health_check.py --hexdump

Prints the serving status (SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN) and exits 0 when it is
SERVING. Exit codes: 0 SERVING; 1 another serving status; 2 the call failed (its trailers carry an
error status); 3 the connection failed (cannot connect, GOAWAY, closed, protocol error); 64 usage.
"""

import argparse
import os
import socket
import struct
import sys

# --- Protocol constants (PROTOCOL.md sections 2-4) -------------------------------------------

MAGIC = b"BATONRPC"
VERSION = 1
PREFACE = MAGIC + struct.pack(">H", VERSION)  # 10 bytes
HEADER = struct.Struct(">IIBB")  # payload length, stream id, type, flags: 10 bytes, big-endian

HEADERS, MESSAGE, CLOSE_SEND, TRAILERS, CANCEL, PING, GOAWAY, SETTINGS, WINDOW_UPDATE = range(1, 10)
FRAME_NAMES = {
    HEADERS: "HEADERS", MESSAGE: "MESSAGE", CLOSE_SEND: "CLOSE_SEND", TRAILERS: "TRAILERS",
    CANCEL: "CANCEL", PING: "PING", GOAWAY: "GOAWAY", SETTINGS: "SETTINGS",
    WINDOW_UPDATE: "WINDOW_UPDATE",
}
FLAG_ACK = 0x01

STATUS_CODES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
]
SERVING_STATUSES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]

METHOD = "/baton.rpc.v1.Health/Check"
STREAM_ID = 1  # the first (and only) call on this connection

EXIT_SERVING, EXIT_NOT_SERVING, EXIT_CALL_FAILED, EXIT_CONNECTION, EXIT_USAGE = 0, 1, 2, 3, 64


class ProtocolFailure(Exception):
    """The connection failed: the message says why."""


def status_name(code):
    return STATUS_CODES[code] if 0 <= code < len(STATUS_CODES) else "CODE_%d" % code


def serving_name(value):
    return SERVING_STATUSES[value] if 0 <= value < len(SERVING_STATUSES) else "STATUS_%d" % value


# --- A tiny protobuf writer and reader (only what this client needs) --------------------------

def encode_varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field_varint(number, value):
    """A varint field; proto3 leaves zero values out."""
    return encode_varint(number << 3 | 0) + encode_varint(value) if value else b""


def field_bytes(number, value):
    """A length-delimited field (string, bytes, message); proto3 leaves empty ones out."""
    return encode_varint(number << 3 | 2) + encode_varint(len(value)) + value if value else b""


def decode_varint(data, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise ValueError("varint longer than 10 bytes")


def read_fields(data):
    """Yields (field number, wire type, value): varints as int, length-delimited as bytes."""
    pos = 0
    while pos < len(data):
        key, pos = decode_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = decode_varint(data, pos)
        elif wire_type == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire_type == 2:
            length, pos = decode_varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire_type == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire_type)
        if pos > len(data):
            raise ValueError("truncated field %d" % number)
        yield number, wire_type, value


def fields_of(data, varints=(), strings=(), messages=()):
    """Decodes a message into a dict. Unknown fields are skipped; repeated ones become lists."""
    result = {}
    for number, wire_type, value in read_fields(data):
        if number in varints and wire_type == 0:
            result[number] = value
        elif number in strings and wire_type == 2:
            result[number] = value.decode("utf-8", "replace")
        elif number in messages and wire_type == 2:
            result.setdefault(number, []).append(value)
    return result


def decode_status(data):
    """baton.rpc.v1.Status: (code, message, number of details)."""
    fields = fields_of(data, varints=(1,), strings=(2,), messages=(3,))
    return fields.get(1, 0), fields.get(2, ""), len(fields.get(3, []))


def decode_trailers(data):
    """baton.rpc.v1.Trailers: (code, message, number of details). No status means OK."""
    fields = fields_of(data, messages=(1, 2))
    return decode_status(fields[1][-1]) if 1 in fields else (0, "", 0)


def decode_goaway(data):
    fields = fields_of(data, varints=(1, 2), strings=(3,))
    return fields.get(1, 0), fields.get(2, 0), fields.get(3, "")


def describe_metadata(entries):
    parts = []
    for entry in entries:
        fields = fields_of(entry, strings=(1, 2), messages=(3,))
        value = repr(fields[2]) if 2 in fields else ("bytes[%d]" % len(fields[3][0]) if 3 in fields else "''")
        parts.append("%s=%s" % (fields.get(1, ""), value))
    return "{" + ", ".join(parts) + "}"


def describe_payload(kind, stream, payload, outgoing):
    """A one-line decoding of a frame's payload, for --hexdump."""
    try:
        if kind == SETTINGS:
            f = fields_of(payload, varints=(1, 2, 3, 4), strings=(5,))
            names = ["", "max_frame_bytes", "max_concurrent_calls", "initial_window_messages",
                     "idle_timeout_millis", "agent"]
            return "Settings{" + ", ".join(
                "%s: %r" % (names[n], f[n]) for n in sorted(f)) + "}"
        if kind == HEADERS and outgoing:
            f = fields_of(payload, varints=(3,), strings=(1,), messages=(2,))
            text = "CallHeaders{method: %r" % f.get(1, "")
            if 2 in f:
                text += ", metadata: " + describe_metadata(f[2])
            if 3 in f:
                text += ", timeout_micros: %d" % f[3]
            return text + "}"
        if kind == HEADERS:
            f = fields_of(payload, messages=(1,))
            return "ResponseHeaders{metadata: %s}" % describe_metadata(f.get(1, []))
        if kind == MESSAGE:
            if outgoing:
                return "HealthCheckRequest{}" if not payload else "HealthCheckRequest (%d bytes)" % len(payload)
            f = fields_of(payload, varints=(1,))
            return "HealthCheckResponse{status: %s (%d)}" % (serving_name(f.get(1, 0)), f.get(1, 0))
        if kind == TRAILERS:
            code, message, details = decode_trailers(payload)
            return "Trailers{status: {code: %s (%d), message: %r, details: %d}}" % (
                status_name(code), code, message, details)
        if kind == GOAWAY:
            last, code, reason = decode_goaway(payload)
            return "GoAway{last_stream_id: %d, code: %s (%d), reason: %r}" % (
                last, status_name(code), code, reason)
        if kind == WINDOW_UPDATE:
            return "WindowUpdate{messages: %d}" % fields_of(payload, varints=(1,)).get(1, 0)
        if kind == PING:
            return "8 opaque bytes"
        if kind in (CLOSE_SEND, CANCEL):
            return "no payload"
    except (ValueError, IndexError) as error:
        return "undecodable payload: %s" % error
    return "%d bytes" % len(payload)


def hex_lines(data, indent="      "):
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset:offset + 16]
        hexes = " ".join("%02x" % b for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append("%s%04x  %-47s  |%s|" % (indent, offset, hexes, text))
    return lines


# --- The connection -----------------------------------------------------------------------------

class Connection:
    def __init__(self, path, timeout, hexdump):
        self.hexdump = hexdump
        self.buffer = b""
        self.send_error = None  # set when the server stopped reading (it may have said why)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as error:
            raise ProtocolFailure("cannot connect to %s: %s" % (path, error))

    def dump(self, arrow, title, raw, note=None):
        if not self.hexdump:
            return
        print("%s %s" % (arrow, title))
        for line in hex_lines(raw):
            print(line)
        if note:
            print("      = " + note)

    def send_preface(self):
        self._send(PREFACE)
        self.dump("C->S", "preface: magic %r, version %d" % (MAGIC.decode(), VERSION), PREFACE)

    def send_frame(self, kind, stream, payload=b"", flags=0):
        header = HEADER.pack(len(payload), stream, kind, flags)
        # Never shutdown(SHUT_WR) the socket: the server treats end-of-stream as a closed
        # connection (PROTOCOL.md). Just send the frames.
        self._send(header + payload)
        self.dump("C->S", "%s stream=%d flags=0x%02x length=%d" % (FRAME_NAMES[kind], stream, flags, len(payload)),
                  header + payload, describe_payload(kind, stream, payload, outgoing=True))

    def _send(self, data):
        """Sends, unless the server already closed: then its GOAWAY, if any, is still readable."""
        if self.send_error:
            return
        try:
            self.sock.sendall(data)
        except OSError as error:
            self.send_error = error

    def _fill(self, count):
        while len(self.buffer) < count:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise ProtocolFailure("no answer from the server within the timeout")
            except OSError as error:
                raise ProtocolFailure("connection failed: %s" % (self.send_error or error))
            if not chunk:
                raise ProtocolFailure("the server closed the connection" +
                                      (" in the middle of a frame" if self.buffer else ""))
            self.buffer += chunk

    def _take(self, count):
        self._fill(count)
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_preface(self):
        self._fill(len(MAGIC))
        if self.buffer[:len(MAGIC)] != MAGIC:
            raise ProtocolFailure("the peer is not a Baton server (no BATONRPC preface)")
        raw = self._take(len(PREFACE))
        (version,) = struct.unpack(">H", raw[len(MAGIC):])
        self.dump("S->C", "preface: magic %r, version %d" % (MAGIC.decode(), version), raw)
        if version != VERSION:
            raise ProtocolFailure("the server speaks protocol version %d, this client %d" % (version, VERSION))

    def read_frame(self):
        header = self._take(HEADER.size)
        length, stream, kind, flags = HEADER.unpack(header)
        payload = self._take(length)
        name = FRAME_NAMES.get(kind, "type %d" % kind)
        self.dump("S->C", "%s stream=%d flags=0x%02x length=%d" % (name, stream, flags, length),
                  header + payload, describe_payload(kind, stream, payload, outgoing=False))
        return kind, stream, flags, payload

    def close(self):
        self.sock.close()


def check(path, service, timeout, hexdump):
    """Runs the call; returns (exit code, text to print)."""
    connection = Connection(path, timeout, hexdump)
    try:
        # 1. Preface, then (optionally) our SETTINGS: we accept 64 response messages per call.
        connection.send_preface()
        connection.send_frame(SETTINGS, 0, field_varint(3, 64) + field_bytes(5, b"health_check.py/1"))
        # 2. The call: HEADERS (CallHeaders), one MESSAGE (the request), CLOSE_SEND.
        headers = field_bytes(1, METHOD.encode()) + field_varint(3, int(timeout * 1_000_000))
        connection.send_frame(HEADERS, STREAM_ID, headers)
        connection.send_frame(MESSAGE, STREAM_ID, field_bytes(1, service.encode()))  # empty when service == ""
        connection.send_frame(CLOSE_SEND, STREAM_ID)
        # 3. The server's preface, then frames until our call's TRAILERS.
        connection.read_preface()
        serving = None
        while True:
            kind, stream, flags, payload = connection.read_frame()
            if kind == PING and not flags & FLAG_ACK:
                connection.send_frame(PING, 0, payload, FLAG_ACK)
            elif kind == GOAWAY:
                last, code, reason = decode_goaway(payload)
                if last >= STREAM_ID and code in (0, 14):
                    continue  # a drain that will still finish our call: keep reading
                raise ProtocolFailure("the server sent GOAWAY %s: %s" % (status_name(code), reason or "(no reason)"))
            elif stream != STREAM_ID:
                continue  # SETTINGS, WINDOW_UPDATE, PING acks and anything else: nothing to do
            elif kind == MESSAGE:
                fields = fields_of(payload, varints=(1,))
                serving = fields.get(1, 0)
            elif kind == TRAILERS:
                code, message, details = decode_trailers(payload)
                if code != 0:
                    extra = " (%d error details)" % details if details else ""
                    return EXIT_CALL_FAILED, "%s failed: %s: %s%s" % (METHOD, status_name(code), message, extra)
                if serving is None:
                    return EXIT_CALL_FAILED, "%s ended OK without a response message" % METHOD
                name = serving_name(serving)
                return (EXIT_SERVING if name == "SERVING" else EXIT_NOT_SERVING), name
            # HEADERS (response metadata) and WINDOW_UPDATE on our stream need nothing here.
    finally:
        connection.close()


def main(argv):
    parser = argparse.ArgumentParser(description="Health/Check a Baton server over its Unix socket.")
    parser.add_argument("socket", nargs="?", default=os.environ.get("BATON_SOCKET"),
                        help="the server's socket (default: $BATON_SOCKET)")
    parser.add_argument("--service", default="", help="a service's full name; empty: the whole server")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait; also the call's deadline")
    parser.add_argument("--hexdump", action="store_true", help="print both directions' bytes, frame by frame")
    args = parser.parse_args(argv)
    if not args.socket:
        parser.print_usage(sys.stderr)
        print("health_check.py: no socket given and $BATON_SOCKET is not set", file=sys.stderr)
        return EXIT_USAGE
    if args.timeout <= 0:
        print("health_check.py: --timeout must be positive", file=sys.stderr)
        return EXIT_USAGE
    try:
        code, text = check(args.socket, args.service, args.timeout, args.hexdump)
    except ProtocolFailure as failure:
        print("health_check.py: %s" % failure, file=sys.stderr)
        return EXIT_CONNECTION
    except ValueError as error:
        print("health_check.py: the server sent an undecodable message: %s" % error, file=sys.stderr)
        return EXIT_CONNECTION
    print(text, file=sys.stdout if code in (EXIT_SERVING, EXIT_NOT_SERVING) else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
