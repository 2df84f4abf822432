#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus from seeds/requests.json: valid requests of every method.

Each request is encoded with `rpc-cli encode` (so the seeds are what a real client sends) and
written as the input of every target:
  corpus/requests/    the method path, a newline, the request's binary encoding
  corpus/codec/       "binary <type>" or "json <type>", a newline, the request
  corpus/connection/  a whole client conversation: preface, SETTINGS, HEADERS, MESSAGE, CLOSE_SEND
  corpus/frames/      a chunk-size byte, then the same conversation
plus a few conversations exercising PING, CANCEL and WINDOW_UPDATE, and corpus/baton.dict, the
libFuzzer dictionary every target gets: method paths, the demo data's ids, and the varints of the
values at the edges of every integer width, which mutations alone rarely produce.

Fails when a method of the schema has no seed request, or a seed names no method; with --check,
also when the committed corpus differs from what it would write (CI runs that).
Usage: tools/fuzz/make-corpus.py [--check] [--rpc-cli PATH]  (default: builds rpc-cli with swift build)
"""
import argparse
import filecmp
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Frame types (Protos/PROTOCOL.md, 3.1).
HEADERS, MESSAGE, CLOSE_SEND, CANCEL, PING, SETTINGS, WINDOW_UPDATE = 1, 2, 3, 5, 6, 8, 9
PREFACE = b"BATONRPC" + struct.pack(">H", 1)


def frame(kind, stream, payload=b"", flags=0):
    return struct.pack(">IIBB", len(payload), stream, kind, flags) + payload


class RPCCLI:
    def __init__(self, path):
        self.path = path
        # The built-in schema, never a running batond's.
        self.env = dict(os.environ, BATON_SOCKET="/nonexistent/baton-fuzz/batond.sock")

    def methods(self):
        """{path: input type} for every method of the built-in schema."""
        text = subprocess.run(
            [self.path, "describe"], env=self.env, check=True, capture_output=True, text=True
        ).stdout
        methods, service = {}, None
        for line in text.splitlines():
            if m := re.match(r"^(\S+) is a service:$", line):
                service = m.group(1)
            elif m := re.match(r"^\s+rpc (\w+) \( (?:stream )?\.?([\w.]+) \)", line):
                methods[f"/{service}/{m.group(1)}"] = m.group(2)
        return methods

    def encode(self, type_name, message):
        result = subprocess.run(
            [self.path, "encode", type_name], input=json.dumps(message).encode(), env=self.env, capture_output=True
        )
        if result.returncode != 0:
            sys.exit(f"make-corpus: {type_name} {json.dumps(message)}: {result.stderr.decode().strip()}")
        return result.stdout


def varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def dictionary(paths):
    """libFuzzer dictionary entries: method paths, demo ids, edge values of each integer width."""
    entries = [path.encode() + b"\n" for path in sorted(paths)] + [path.encode() for path in sorted(paths)]
    entries += [word.encode() for word in ("chat-1", "transfer-1", "meeting-1", "ana", "ben", "cara", "dan", "maya", "sales", "visitor-42", "BATONRPC")]
    edges = [2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**53, 2**63 - 1, 2**63, 2**64 - 1, -1, -(2**31), -(2**63),
             253402300799, 253402300800, -62135596800, -62135596801, 10**14, 999999999, 1000000000]
    entries += [varint(value) for value in edges]
    entries += [struct.pack(">I", value) for value in (0, 2**31, 2**32 - 1)]
    def quoted(byte):
        return chr(byte) if 0x20 <= byte < 0x7F and chr(byte) not in '"\\' else f"\\x{byte:02x}"

    return "".join('"' + "".join(map(quoted, entry)) + '"\n' for entry in entries)


def build_rpc_cli():
    subprocess.run(["swift", "build", "--product", "rpc-cli"], cwd=ROOT, check=True)
    bin_path = subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    return os.path.join(bin_path, "rpc-cli")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpc-cli", help="an rpc-cli binary (default: build one)")
    parser.add_argument("--check", action="store_true", help="compare with the committed corpus, write nothing")
    args = parser.parse_args()
    cli = RPCCLI(args.rpc_cli or build_rpc_cli())
    methods = cli.methods()
    with open(os.path.join(HERE, "seeds", "requests.json")) as file:
        seeds = json.load(file)

    unknown = sorted({seed["method"] for seed in seeds} - methods.keys())
    missing = sorted(methods.keys() - {seed["method"] for seed in seeds})
    if unknown or missing:
        sys.exit(f"make-corpus: seeds for unknown methods {unknown}; methods without a seed {missing}")

    settings = cli.encode("baton.rpc.v1.Settings", {"initialWindowMessages": 64, "agent": "baton-fuzz/1"})
    corpus = {name: {} for name in ("requests", "codec", "connection", "frames")}
    counts = {}
    for seed in seeds:
        path, request = seed["method"], seed["request"]
        type_name = methods[path]
        counts[path] = counts.get(path, 0) + 1
        name = f"{path[1:].replace('/', '-')}-{counts[path]}"
        binary = cli.encode(type_name, request)
        headers = cli.encode("baton.rpc.v1.CallHeaders", {"method": path, "timeoutMicros": "1000000"})
        conversation = (
            PREFACE + frame(SETTINGS, 0, settings) + frame(HEADERS, 1, headers)
            + frame(MESSAGE, 1, binary) + frame(CLOSE_SEND, 1)
        )
        corpus["requests"][name] = path.encode() + b"\n" + binary
        corpus["codec"][f"binary-{name}"] = f"binary {type_name}\n".encode() + binary
        corpus["codec"][f"json-{name}"] = f"json {type_name}\n".encode() + json.dumps(request).encode()
        corpus["connection"][name] = conversation
        corpus["frames"][name] = bytes([len(name) % 16]) + conversation

    # Conversations beyond one call: a PING, a call cancelled while open, a stream given more
    # credit, two calls pipelined.
    def call(stream, path, request, timeout="1000000"):
        headers = cli.encode("baton.rpc.v1.CallHeaders", {"method": path, "timeoutMicros": timeout})
        return frame(HEADERS, stream, headers) + frame(MESSAGE, stream, cli.encode(methods[path], request))

    extra = {
        "ping": PREFACE + frame(PING, 0, b"12345678"),
        "cancel": PREFACE + call(1, "/baton.v1.Events/Watch", {}, timeout="0") + frame(CANCEL, 1),
        "window-update": PREFACE + call(1, "/baton.test.v1.TestService/ServerStream", {"count": 100})
        + frame(CLOSE_SEND, 1) + frame(WINDOW_UPDATE, 1, cli.encode("baton.rpc.v1.WindowUpdate", {"messages": 32})),
        "pipelined": PREFACE + call(1, "/baton.v1.Chats/GetChat", {"chatId": "chat-1"}) + frame(CLOSE_SEND, 1)
        + call(3, "/baton.v1.Reps/GetRep", {"repId": "ana"}) + frame(CLOSE_SEND, 3),
    }
    for name, conversation in extra.items():
        corpus["connection"][name] = conversation
        corpus["frames"][name] = bytes([1]) + conversation

    words = dictionary(methods.keys())
    committed = os.path.join(HERE, "corpus")
    if not args.check:
        write(corpus, words, committed)
        for target, inputs in corpus.items():
            print(f"corpus/{target}: {len(inputs)} inputs")
        return
    with tempfile.TemporaryDirectory() as scratch:
        write(corpus, words, scratch)
        stale = [target for target in corpus if not same_folders(os.path.join(scratch, target), os.path.join(committed, target))]
        if not filecmp.cmp(os.path.join(scratch, "baton.dict"), os.path.join(committed, "baton.dict"), shallow=False):
            stale.append("baton.dict")
    if stale:
        sys.exit(f"make-corpus: the committed corpus of {stale} is stale; run tools/fuzz/make-corpus.py")
    print("make-corpus: the committed corpus is current")


def write(corpus, words, root):
    with open(os.path.join(root, "baton.dict"), "w") as file:
        file.write(words)
    for target, inputs in corpus.items():
        folder = os.path.join(root, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, data in inputs.items():
            with open(os.path.join(folder, name), "wb") as file:
                file.write(data)


def same_folders(left, right):
    if not os.path.isdir(right):
        return False
    names = sorted(os.listdir(left))
    if names != sorted(os.listdir(right)):
        return False
    _, mismatch, errors = filecmp.cmpfiles(left, right, names, shallow=False)
    return not mismatch and not errors

if __name__ == "__main__":
    main()
