#!/usr/bin/env python3
"""Transfer a chat to another rep through batond: an example client for integration developers.

It speaks Protos/PROTOCOL.md itself (preface, frames, call headers, trailers) and leaves the
protobuf encoding to PyPI's `protobuf` package and the classes `protoc --python_out` generated
from Protos/ into generated/ (tools/generate.sh rebuilds them; never edit them). On one
connection it makes two unary calls:

1. /baton.v1.Chats/ListTransferTargets: who could take the chat now, and the chat's version;
2. /baton.v1.Chats/TransferChat: a direct transfer with a heads-up note for the new rep, a
   message for the visitor and an idempotency key, only if the chat is still at that version.

    python3 -m pip install -r tools/examples/python/requirements.txt
    batond --demo --socket /tmp/baton.sock &
    python3 tools/examples/python/transfer_chat.py --socket /tmp/baton.sock --from ana --to ben

Exit codes, as rpc-cli's: 0 transferred; 64 usage; 69 cannot reach batond, or the connection
failed; 100 + N when a call ends with status N (109: FAILED_PRECONDITION, e.g. the target is
logged out), after printing the status and its typed error details to stderr.
"""

import argparse
import os
import socket
import struct
import sys
import time
import uuid

# The generated modules import one another as "baton.v1.<file>_pb2", rooted at Protos/, so their
# folder goes first on the module path, whatever the current directory. No bytecode, so that no
# __pycache__ folders appear among the generated files.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated"))

try:
    from google.protobuf import text_format
    from google.protobuf.message import DecodeError

    from baton.rpc.v1 import envelope_pb2
    from baton.v1 import chats_pb2, common_pb2, errors_pb2, transfers_pb2
except ImportError as error:
    sys.exit(
        "transfer_chat.py: cannot load the protobuf runtime or the generated classes (%s).\n"
        "Install the pinned runtime: tools/bootstrap.sh, or\n"
        "  python3 -m pip install -r tools/examples/python/requirements.txt" % error
    )

# --- The wire protocol (PROTOCOL.md sections 2-5) ------------------------------------------------

PREFACE = b"BATONRPC" + struct.pack(">H", 1)  # magic and protocol version 1, sent by both sides
FRAME_HEADER = struct.Struct(">IIBB")  # payload length, stream id, type, flags; big-endian
HEADERS, MESSAGE, CLOSE_SEND, TRAILERS, CANCEL, PING, GOAWAY, SETTINGS, WINDOW_UPDATE = range(1, 10)
FLAG_ACK = 0x01
DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024  # both sides' limit until SETTINGS says otherwise
MAX_STREAM_ID = 0xFFFFFFFF
AGENT = "transfer_chat.py/1"

StatusCode = envelope_pb2.StatusCode

EXIT_USAGE = 64  # sysexits.h EX_USAGE
EXIT_UNAVAILABLE = 69  # sysexits.h EX_UNAVAILABLE
EXIT_STATUS_BASE = 100  # + the status code of a failed call

# The typed error details this client decodes (PROTOCOL.md 11.2), by ErrorDetail.type: each
# message's full protobuf name, without a leading dot. Other types are skipped.
DETAIL_TYPES = {
    message_type.DESCRIPTOR.full_name: message_type
    for message_type in (
        errors_pb2.ErrorInfo,
        errors_pb2.BadRequest,
        errors_pb2.VersionConflict,
        errors_pb2.TransferUnavailable,
        errors_pb2.BookingConflict,
        envelope_pb2.RetryInfo,
    )
}


class ConnectionFailed(Exception):
    """batond could not be reached, or the connection ended without the call's outcome."""


class CallFailed(Exception):
    """A call ended with a non-OK status: a baton.rpc.v1.Status with code, message and details."""

    def __init__(self, method, status):
        super().__init__("%s failed: %s" % (method, status.message))
        self.method = method
        self.status = status

    @property
    def code(self):
        """The status code; one this client does not know counts as UNKNOWN (PROTOCOL.md 11.1)."""
        known = self.status.code in StatusCode.values()
        return self.status.code if known else StatusCode.STATUS_CODE_UNKNOWN


def enum_label(enum_type, value, prefix):
    """An enum value's name without its prefix: STATUS_CODE_NOT_FOUND -> NOT_FOUND."""
    try:
        return enum_type.Name(value).removeprefix(prefix)
    except ValueError:  # proto3 enums are open: a newer server may send a value we do not know
        return str(value)


def status_name(code):
    return enum_label(StatusCode, code, "STATUS_CODE_")


class Connection:
    """One connection to batond. Calls run one at a time; each waits for its TRAILERS."""

    def __init__(self, path, timeout):
        self._timeout = timeout
        self._buffer = bytearray()
        self._last_stream_id = 0
        self._server_max_frame_bytes = DEFAULT_MAX_FRAME_BYTES
        self._goaway = None
        self._send_error = None
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._socket.connect(path)
        except OSError as error:
            self._socket.close()
            raise ConnectionFailed("cannot reach batond at %s: %s" % (path, error)) from None
        try:
            self._handshake()
        except BaseException:
            self._socket.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        # Every call has ended by now, so closing cancels nothing; there is no closing handshake.
        self._socket.close()

    def _handshake(self):
        """Both prefaces, our SETTINGS, and the server's SETTINGS (always its first frame)."""
        settings = envelope_pb2.Settings(initial_window_messages=64, agent=AGENT)
        self._send(PREFACE)
        self._send_frame(SETTINGS, 0, settings.SerializeToString())
        deadline = time.monotonic() + self._timeout
        try:
            self._read_preface(deadline)
            while True:
                kind, stream, flags, payload = self._read_frame(deadline)
                self._handle_connection_frame(kind, flags, payload)
                if kind == SETTINGS:
                    return
        except TimeoutError:
            raise ConnectionFailed("batond did not answer within %g s" % self._timeout) from None

    def unary(self, method, request, response_type, metadata=()):
        """Calls `method` with one request message; returns the response, or raises CallFailed.

        `metadata` is (key, text) pairs: lower-case keys, sent in CallHeaders (PROTOCOL.md 7).
        """
        payload = request.SerializeToString()
        if len(payload) > self._server_max_frame_bytes:
            # The server would close the whole connection over an oversized frame: fail the call.
            raise CallFailed(method, envelope_pb2.Status(
                code=StatusCode.STATUS_CODE_RESOURCE_EXHAUSTED,
                message="a request of %d bytes exceeds the server's limit of %d bytes"
                % (len(payload), self._server_max_frame_bytes)))
        stream_id = self._open_stream()
        headers = envelope_pb2.CallHeaders(
            method=method,
            metadata=[envelope_pb2.MetadataEntry(key=key, text=value) for key, value in metadata],
            # The server's deadline: it cancels the handler and answers DEADLINE_EXCEEDED then.
            timeout_micros=max(1, int(self._timeout * 1_000_000)),
        )
        # A unary call sends everything at once: HEADERS, its one MESSAGE, CLOSE_SEND.
        self._send_frame(HEADERS, stream_id, headers.SerializeToString())
        self._send_frame(MESSAGE, stream_id, payload)
        self._send_frame(CLOSE_SEND, stream_id)
        try:
            response, status = self._read_call(stream_id, time.monotonic() + self._timeout)
        except TimeoutError:
            # Our own timer over the same deadline, in case the server is stuck: abandon the call.
            self._send_frame(CANCEL, stream_id)
            raise CallFailed(method, envelope_pb2.Status(
                code=StatusCode.STATUS_CODE_DEADLINE_EXCEEDED,
                message="no answer within %g s" % self._timeout)) from None
        if status.code != StatusCode.STATUS_CODE_OK:
            raise CallFailed(method, status)
        if response is None:
            raise CallFailed(method, envelope_pb2.Status(
                code=StatusCode.STATUS_CODE_INTERNAL,
                message="the call ended OK without a response message"))
        return self._decode(response_type, response)

    def _open_stream(self):
        """The next stream id: each call's must exceed every earlier one (PROTOCOL.md 5)."""
        if self._goaway is not None:
            raise ConnectionFailed("batond is not taking new calls on this connection: %s"
                                   % describe_goaway(self._goaway))
        if self._last_stream_id == MAX_STREAM_ID:
            raise ConnectionFailed("this connection has used all its stream ids; connect again")
        self._last_stream_id += 1
        return self._last_stream_id

    def _read_call(self, stream_id, deadline):
        """Reads frames until the call's TRAILERS; returns (response bytes or None, Status)."""
        response = None
        while True:
            kind, stream, flags, payload = self._read_frame(deadline)
            if stream == 0:
                self._handle_connection_frame(kind, flags, payload, open_stream_id=stream_id)
            elif stream != stream_id:
                continue  # a late frame of a call that has already ended
            elif kind == MESSAGE:
                response = payload
            elif kind == TRAILERS:
                trailers = self._decode(envelope_pb2.Trailers, payload)
                return response, trailers.status  # no status field reads as code 0: OK
            # HEADERS (response metadata) and WINDOW_UPDATE need nothing in a unary call.

    def _handle_connection_frame(self, kind, flags, payload, open_stream_id=0):
        """SETTINGS, PING and GOAWAY (stream 0) may arrive at any time (PROTOCOL.md 18.3)."""
        if kind == SETTINGS:
            settings = self._decode(envelope_pb2.Settings, payload)
            self._server_max_frame_bytes = settings.max_frame_bytes or DEFAULT_MAX_FRAME_BYTES
        elif kind == PING and not flags & FLAG_ACK:
            self._send_frame(PING, 0, payload, FLAG_ACK)  # a liveness check: echo its 8 bytes
        elif kind == GOAWAY:
            self._goaway = self._decode(envelope_pb2.GoAway, payload)
            draining = self._goaway.code == StatusCode.STATUS_CODE_UNAVAILABLE
            if draining and 0 < open_stream_id <= self._goaway.last_stream_id:
                return  # a graceful shutdown still finishes the calls it has seen
            raise ConnectionFailed("batond sent GOAWAY: %s" % describe_goaway(self._goaway))

    def _send_frame(self, kind, stream_id, payload=b"", flags=0):
        self._send(FRAME_HEADER.pack(len(payload), stream_id, kind, flags) + payload)

    def _send(self, data):
        # A server refusing the connection (PROTOCOL.md 13.5) writes a GOAWAY and closes, so a
        # write can fail first: keep reading, the GOAWAY says why.
        if self._send_error is not None:
            return
        try:
            self._socket.sendall(data)
        except OSError as error:
            self._send_error = error

    def _read_preface(self, deadline):
        preface = self._take(len(PREFACE), deadline)
        if preface[:8] != PREFACE[:8]:
            raise ConnectionFailed("the socket's server is not batond (no BATONRPC preface)")
        if preface != PREFACE:
            (version,) = struct.unpack(">H", preface[8:])
            raise ConnectionFailed("batond speaks protocol version %d, this client 1" % version)

    def _read_frame(self, deadline):
        length, stream, kind, flags = FRAME_HEADER.unpack(self._take(FRAME_HEADER.size, deadline))
        # Checked before reading the payload: a broken length must not make us buffer gigabytes.
        if length > DEFAULT_MAX_FRAME_BYTES:
            raise ConnectionFailed("batond sent a frame of %d bytes, above %d"
                                   % (length, DEFAULT_MAX_FRAME_BYTES))
        return kind, stream, flags, self._take(length, deadline)

    def _take(self, count, deadline):
        """Exactly `count` bytes: a read may return part of a frame, or several frames."""
        while len(self._buffer) < count:
            self._socket.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                chunk = self._socket.recv(65536)
            except TimeoutError:  # an OSError too, but the caller handles it: not a failure
                raise
            except OSError as error:
                raise ConnectionFailed("the connection failed: %s"
                                       % (self._send_error or error)) from None
            if not chunk:
                raise ConnectionFailed("batond closed the connection")
            self._buffer += chunk
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    @staticmethod
    def _decode(message_type, payload):
        try:
            return message_type.FromString(payload)
        except DecodeError as error:
            raise ConnectionFailed("batond sent an undecodable %s: %s"
                                   % (message_type.DESCRIPTOR.full_name, error)) from None


def describe_goaway(goaway):
    return "%s: %s" % (status_name(goaway.code), goaway.reason or "(no reason)")


# --- The two calls --------------------------------------------------------------------------------

def new_metadata():
    # batond records a call's request-id on the events it causes: it ties them to this run.
    return [("request-id", uuid.uuid4().hex)]


def list_transfer_targets(connection, chat_id):
    request = chats_pb2.ListTransferTargetsRequest(chat_id=chat_id)
    return connection.unary("/baton.v1.Chats/ListTransferTargets", request,
                            chats_pb2.ListTransferTargetsResponse, new_metadata())


def transfer_chat(connection, args, expected_version):
    request = transfers_pb2.TransferRequest(
        chat_id=args.chat,
        acting_rep_id=args.from_rep,
        target_rep_id=args.to_rep,
        note=args.note,
        visitor_message=args.visitor_message,
        mode=transfers_pb2.TRANSFER_MODE_DIRECT,
        # When the target cannot take the chat now, the error carries their next free calendar
        # slots (the guide's fallback). Nothing is posted to the chat.
        on_unavailable=transfers_pb2.UNAVAILABLE_ACTION_OFFER_SLOTS,
        idempotency_key=args.idempotency_key,
        # Only if the chat has not changed since we looked; otherwise ABORTED (VERSION_CONFLICT).
        expected_version=common_pb2.ExpectedVersion(value=expected_version),
    )
    try:
        return connection.unary("/baton.v1.Chats/TransferChat", request,
                                chats_pb2.TransferChatResponse, new_metadata())
    except ConnectionFailed as failure:
        # The transfer may have happened before the connection broke. Retrying the same request
        # with the same key is safe: batond answers with the first outcome, never transfers twice.
        raise ConnectionFailed("%s; the transfer may or may not have happened: retry with "
                               "--idempotency-key %s --expected-version %d"
                               % (failure, request.idempotency_key, expected_version)) from None


# --- Output -------------------------------------------------------------------------------------

def print_targets(chat_id, response):
    print("Transfer targets of %s (chat version %d):" % (chat_id, response.chat_version))
    for target in response.targets:
        verdict = ("can take it now" if target.eligible else "no: " + enum_label(
            transfers_pb2.IneligibilityReason, target.reason, "INELIGIBILITY_REASON_"))
        print("  %-8s %-12s %s" % (target.rep.id, target.rep.display_name, verdict))


def print_transfer(args, response):
    outcome = enum_label(transfers_pb2.TransferOutcome, response.outcome, "TRANSFER_OUTCOME_")
    print("%s: %s to %s; owner now %s (chat version %d). Appended to the transcript:" % (
        response.chat.id, outcome, args.to_rep, response.chat.owner_rep_id, response.chat.version))
    for entry in response.appended_entries:
        kind = enum_label(chats_pb2.TranscriptEntryKind, entry.kind, "TRANSCRIPT_ENTRY_KIND_")
        visibility = enum_label(chats_pb2.Visibility, entry.visibility, "VISIBILITY_")
        print("  #%d %s (%s): %s" % (entry.sequence, kind, visibility.lower().replace("_", " "),
                                     entry.text))


def describe_detail(detail):
    """Lines for a baton.rpc.v1.ErrorDetail, decoded with its generated class when known."""
    message_type = DETAIL_TYPES.get(detail.type)
    if message_type is None:
        return ["%s: a type this client does not know (%d bytes, skipped)" % (
            detail.type, len(detail.value))]
    try:
        message = message_type.FromString(detail.value)
    except DecodeError as error:
        return ["%s: undecodable (%s)" % (detail.type, error)]
    slots = []
    if message_type is errors_pb2.TransferUnavailable:
        # The guide's fallback: when the target is free next, to offer the visitor. A line each.
        slots = ["  free %s to %s" % (slot.start_time.ToJsonString(), slot.end_time.ToJsonString())
                 for slot in message.next_free_slots]
        message.ClearField("next_free_slots")
    text = text_format.MessageToString(message, as_one_line=True)
    return ["%s {%s}" % (detail.type, text)] + slots


def print_failure(failure):
    status = failure.status
    print("transfer_chat.py: %s failed: %s: %s" % (failure.method, status_name(failure.code),
                                                    status.message or "(no message)"),
          file=sys.stderr)
    for detail in status.details:
        for line in describe_detail(detail):
            print("  " + line, file=sys.stderr)


# --- Command line ---------------------------------------------------------------------------------

def default_socket_path():
    """Where batond listens unless told otherwise (Sources/BatonRPC/Core/BatonSocketPath.swift)."""
    if os.environ.get("BATON_SOCKET"):
        return os.environ["BATON_SOCKET"]
    if os.getuid() == 0:
        return "/run/baton/batond.sock"
    if os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(os.environ["XDG_RUNTIME_DIR"], "baton", "batond.sock")
    return "/tmp/baton-%d/batond.sock" % os.getuid()


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        # argparse exits 2; rpc-cli (and sysexits.h) say 64 for a usage error.
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, "%s: error: %s\n" % (self.prog, message))


def parse_arguments(argv):
    parser = ArgumentParser(
        prog="transfer_chat.py",
        description="List a chat's transfer targets, then transfer it to another rep.")
    parser.add_argument("--socket", metavar="PATH", default=default_socket_path(),
                        help="batond's Unix socket (default: $BATON_SOCKET, else batond's default: "
                        "/run/baton/batond.sock as root, else $XDG_RUNTIME_DIR/baton/batond.sock)")
    parser.add_argument("--chat", metavar="CHAT", default="chat-1",
                        help="the chat to transfer (default: chat-1)")
    parser.add_argument("--from", metavar="REP", dest="from_rep", default="ana",
                        help="the rep handing it over: its owner or a manager (default: ana)")
    parser.add_argument("--to", metavar="REP", dest="to_rep", default="ben",
                        help="the rep who takes over (default: ben)")
    parser.add_argument("--note", metavar="TEXT",
                        default="Visitor asks whether SSO comes with the Team plan.",
                        help="heads-up for the new rep; reps only")
    parser.add_argument("--visitor-message", metavar="TEXT",
                        default="A colleague who knows our SSO options will continue with you.",
                        help="what the visitor is told")
    parser.add_argument("--idempotency-key", metavar="KEY", default=None,
                        help="reuse one to retry a transfer safely (default: a new random key)")
    parser.add_argument("--expected-version", metavar="VERSION", type=int, default=None,
                        help="transfer only if the chat is at this version (default: the version "
                        "ListTransferTargets reports)")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=10.0,
                        help="seconds each call may take (default: 10)")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    if args.idempotency_key is None:
        args.idempotency_key = "transfer-chat-py-" + uuid.uuid4().hex
    return args


def main(argv):
    args = parse_arguments(argv)
    try:
        with Connection(args.socket, args.timeout) as connection:
            targets = list_transfer_targets(connection, args.chat)
            print_targets(args.chat, targets)
            # Guard the transfer with the version just listed, unless a retry names the first one.
            version = args.expected_version
            if version is None:
                version = targets.chat_version
            print_transfer(args, transfer_chat(connection, args, version))
    except CallFailed as failure:
        print_failure(failure)
        return EXIT_STATUS_BASE + failure.code
    except ConnectionFailed as failure:
        print("transfer_chat.py: %s" % failure, file=sys.stderr)
        return EXIT_UNAVAILABLE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
