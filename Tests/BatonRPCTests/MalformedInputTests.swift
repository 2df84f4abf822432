import BatonProtos
import BatonRPC
import NIOCore
import Testing

/// One malformed byte stream and what the server must answer to it.
struct MalformedInput: Sendable, CustomTestStringConvertible {
    enum Answer: Sendable {
        /// A GOAWAY with this code whose reason contains the text, then the connection closes.
        case goAway(RPCError.Code, reason: String)
        /// TRAILERS ending this stream with this code; the connection keeps serving.
        case trailers(stream: UInt32, RPCError.Code, message: String)
        /// The call is refused, by TRAILERS with this code or by a GOAWAY with this code.
        case callOrConnectionRefused(stream: UInt32, RPCError.Code)
        /// The server closes the connection, with or without a GOAWAY (after our EOF).
        case closed
    }

    var name: String
    var bytes: [UInt8]
    /// Whether the client shuts its side down after writing (EOF for the server).
    var endsWithEOF = false
    var answer: Answer

    var testDescription: String { name }

    static let health = "/baton.rpc.v1.Health/Check"
    static let probeWait = CallProbe.wait

    static let all: [MalformedInput] = [
        MalformedInput(
            name: "an HTTP request instead of the preface",
            bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
            answer: .goAway(.invalidArgument, reason: "preface")
        ),
        MalformedInput(
            name: "a frame instead of the preface",
            bytes: Wire.frame(stream: 0, type: Wire.ping, payload: Array(repeating: 0, count: 8)),
            answer: .goAway(.invalidArgument, reason: "preface")
        ),
        MalformedInput(
            name: "lower-case magic",
            bytes: Array("batonrpc".utf8) + [0, 1],
            answer: .goAway(.invalidArgument, reason: "preface")
        ),
        MalformedInput(
            name: "an unsupported protocol version",
            bytes: Array("BATONRPC".utf8) + [0, 2],
            answer: .goAway(.failedPrecondition, reason: "version 2")
        ),
        MalformedInput(name: "EOF before any byte", bytes: [], endsWithEOF: true, answer: .closed),
        MalformedInput(
            name: "a truncated preface then EOF",
            bytes: Array("BATON".utf8),
            endsWithEOF: true,
            answer: .closed
        ),
        MalformedInput(
            name: "a truncated header then EOF",
            bytes: Wire.preface + [0, 0, 0, 4, 0, 0],
            endsWithEOF: true,
            answer: .closed
        ),
        MalformedInput(
            name: "a truncated payload then EOF",
            bytes: Wire.preface + Wire.header(length: 100, stream: 0, type: Wire.settings) + [1, 2, 3],
            endsWithEOF: true,
            answer: .closed
        ),
        MalformedInput(
            name: "a length of 2^32-1, header only",
            bytes: Wire.preface + Wire.header(length: .max, stream: 1, type: Wire.message),
            answer: .goAway(.invalidArgument, reason: "exceeds the limit")
        ),
        MalformedInput(
            name: "a length one byte over the default 4 MiB, header only",
            bytes: Wire.preface + Wire.open(stream: 1, method: health)
                + Wire.header(length: (4 << 20) + 1, stream: 1, type: Wire.message),
            answer: .goAway(.invalidArgument, reason: "exceeds the limit")
        ),
        MalformedInput(
            name: "frame type 0",
            bytes: Wire.preface + Wire.frame(stream: 1, type: 0),
            answer: .goAway(.invalidArgument, reason: "unknown frame type 0")
        ),
        MalformedInput(
            name: "frame type 42",
            bytes: Wire.preface + Wire.frame(stream: 1, type: 42, payload: [1, 2]),
            answer: .goAway(.invalidArgument, reason: "unknown frame type 42")
        ),
        MalformedInput(
            name: "HEADERS on stream 0",
            bytes: Wire.preface + Wire.open(stream: 0, method: health),
            answer: .goAway(.invalidArgument, reason: "stream 0")
        ),
        MalformedInput(
            name: "PING on a call's stream",
            bytes: Wire.preface + Wire.frame(stream: 1, type: Wire.ping, payload: Array(repeating: 0, count: 8)),
            answer: .goAway(.invalidArgument, reason: "stream 0")
        ),
        MalformedInput(
            name: "a reused stream id",
            bytes: Wire.preface + Wire.healthCheck(stream: 1) + Wire.healthCheck(stream: 1),
            answer: .goAway(.invalidArgument, reason: "stream ids must increase")
        ),
        MalformedInput(
            name: "a decreasing stream id",
            bytes: Wire.preface + Wire.healthCheck(stream: 5) + Wire.healthCheck(stream: 3),
            answer: .goAway(.invalidArgument, reason: "stream ids must increase")
        ),
        MalformedInput(
            name: "MESSAGE on a never-opened stream",
            bytes: Wire.preface + Wire.frame(stream: 7, type: Wire.message, payload: [1]),
            answer: .goAway(.invalidArgument, reason: "no HEADERS opened")
        ),
        MalformedInput(
            name: "CANCEL on a never-opened stream",
            bytes: Wire.preface + Wire.frame(stream: 9, type: Wire.cancel),
            answer: .goAway(.invalidArgument, reason: "no HEADERS opened")
        ),
        MalformedInput(
            name: "CLOSE_SEND on a never-opened stream",
            bytes: Wire.preface + Wire.frame(stream: 9, type: Wire.closeSend),
            answer: .goAway(.invalidArgument, reason: "no HEADERS opened")
        ),
        MalformedInput(
            name: "TRAILERS sent by the client",
            bytes: Wire.preface + Wire.open(stream: 1, method: probeWait)
                + Wire.frame(stream: 1, type: Wire.trailers, payload: [0x0a, 0x00]),
            answer: .goAway(.invalidArgument, reason: "servers only")
        ),
        MalformedInput(
            name: "MESSAGE after CLOSE_SEND",
            bytes: Wire.preface + Wire.open(stream: 1, method: Paths.clientStream)
                + Wire.frame(stream: 1, type: Wire.message, payload: Array("\u{0a}\u{01}a".utf8))
                + Wire.frame(stream: 1, type: Wire.closeSend)
                + Wire.frame(stream: 1, type: Wire.message, payload: Array("\u{0a}\u{01}b".utf8)),
            answer: .callOrConnectionRefused(stream: 1, .invalidArgument)
        ),
        MalformedInput(
            name: "invalid CallHeaders bytes",
            bytes: Wire.preface + Wire.frame(stream: 1, type: Wire.headers, payload: [0x0a, 0x7f, 0x41]),
            answer: .trailers(stream: 1, .invalidArgument, message: "invalid call headers")
        ),
        MalformedInput(
            name: "CallHeaders with no method",
            bytes: Wire.preface + Wire.frame(stream: 1, type: Wire.headers),
            answer: .trailers(stream: 1, .unimplemented, message: "unknown method")
        ),
        MalformedInput(
            name: "invalid request message bytes",
            bytes: Wire.preface + Wire.call(stream: 1, method: Paths.unary, request: [0x0a, 0x05, 0x41]),
            answer: .trailers(stream: 1, .invalidArgument, message: "baton.test.v1.EchoRequest")
        ),
        MalformedInput(
            name: "more messages than the call's window",
            bytes: Wire.preface + Wire.open(stream: 1, method: CallProbe.hold)
                + Array((0..<65).map { _ in Wire.frame(stream: 1, type: Wire.message, payload: [0x41]) }.joined()),
            answer: .trailers(stream: 1, .resourceExhausted, message: "window")
        ),
        MalformedInput(
            name: "two request messages on a unary call",
            bytes: Wire.preface + Wire.open(stream: 1, method: Paths.unary) + Wire.frame(stream: 1, type: Wire.message)
                + Wire.frame(stream: 1, type: Wire.message) + Wire.frame(stream: 1, type: Wire.closeSend),
            answer: .trailers(stream: 1, .invalidArgument, message: "exactly one request message")
        ),
        MalformedInput(
            name: "a metadata key with upper-case letters and a space",
            bytes: Wire.preface + Wire.openWithMetadata(stream: 1, method: health, key: "Bad Key", value: .text("v")),
            answer: .trailers(stream: 1, .invalidArgument, message: "metadata key")
        ),
        MalformedInput(
            name: "binary metadata under a key without -bin",
            bytes: Wire.preface
                + Wire.openWithMetadata(stream: 1, method: health, key: "x-trace", value: .binary([0xff])),
            answer: .trailers(stream: 1, .invalidArgument, message: "-bin")
        ),
        MalformedInput(
            name: "a metadata key in the reserved baton- namespace",
            bytes: Wire.preface + Wire.openWithMetadata(stream: 1, method: health, key: "baton-deadline", value: .text("1")),
            answer: .trailers(stream: 1, .invalidArgument, message: "reserved")
        ),
        MalformedInput(
            name: "a WINDOW_UPDATE granting 0 messages",
            bytes: Wire.preface + Wire.open(stream: 1, method: probeWait)
                + Wire.frame(stream: 1, type: Wire.windowUpdate, payload: []),
            answer: .goAway(.invalidArgument, reason: "WINDOW_UPDATE")
        ),
        MalformedInput(
            name: "PING with a 4-byte payload",
            bytes: Wire.preface + Wire.frame(stream: 0, type: Wire.ping, payload: [1, 2, 3, 4]),
            answer: .goAway(.invalidArgument, reason: "8 bytes")
        ),
        MalformedInput(
            name: "SETTINGS that do not decode",
            bytes: Wire.preface + Wire.frame(stream: 0, type: Wire.settings, payload: [0xff, 0xff, 0xff]),
            answer: .goAway(.invalidArgument, reason: "SETTINGS")
        ),
        MalformedInput(
            name: "WINDOW_UPDATE that does not decode",
            bytes: Wire.preface + Wire.open(stream: 1, method: probeWait)
                + Wire.frame(stream: 1, type: Wire.windowUpdate, payload: [0x08]),
            answer: .goAway(.invalidArgument, reason: "WINDOW_UPDATE")
        ),
        MalformedInput(
            name: "SETTINGS announcing a max_frame_bytes below the minimum of 256",
            bytes: Wire.preface + Wire.frame(stream: 0, type: Wire.settings, payload: [0x08, 0xff, 0x01]),
            answer: .goAway(.invalidArgument, reason: "SETTINGS max_frame_bytes 255 is below the minimum of 256")
        ),
        MalformedInput(
            name: "random bytes (seed 1)",
            bytes: seededBytes(seed: 1, count: 4096),
            endsWithEOF: true,
            answer: .closed
        ),
        MalformedInput(
            name: "the preface, then random bytes (seed 2)",
            bytes: Wire.preface + seededBytes(seed: 2, count: 4096),
            endsWithEOF: true,
            answer: .closed
        ),
        MalformedInput(
            name: "the preface, then random bytes (seed 3)",
            bytes: Wire.preface + seededBytes(seed: 3, count: 64),
            endsWithEOF: true,
            answer: .closed
        ),
        MalformedInput(
            name: "a valid call, then random bytes (seed 4)",
            bytes: Wire.preface + Wire.healthCheck(stream: 1) + seededBytes(seed: 4, count: 512),
            endsWithEOF: true,
            answer: .closed
        ),
    ]
}

@Suite("Malformed input", .timeLimit(.minutes(1)))
struct MalformedInputTests {
    @Test(
        "the server answers malformed input as the protocol says, and keeps serving everyone else",
        arguments: MalformedInput.all
    )
    func malformedInput(_ input: MalformedInput) async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let bystander = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await bystander.echoText("before") == "before")

            let raw = try RawConnection.connect(to: socketPath)
            raw.send(input.bytes)
            if input.endsWithEOF { raw.shutdownWrite() }

            switch input.answer {
            case .goAway(let code, let reason):
                let frames = try await raw.framesUntilClosed()
                let goAways = frames.compactMap(\.goAway)
                #expect(goAways.count == 1, "frames: \(frames)")
                #expect(goAways.first?.code == code, "\(String(describing: goAways.first))")
                #expect(goAways.first?.reason.contains(reason) == true, "\(String(describing: goAways.first))")
                #expect(frames.last?.type == Wire.goAway, "the GOAWAY is the last frame before the close")

            case .trailers(let stream, let code, let message):
                let frames = try await raw.frames {
                    ($0.type == Wire.trailers && $0.stream == stream) || $0.type == Wire.goAway
                }
                let status = frames.last?.status
                #expect(frames.last?.stream == stream, "frames: \(frames)")
                #expect(status?.code == code, "\(String(describing: status))")
                #expect(status?.message.contains(message) == true, "\(String(describing: status))")
                try await expectConnectionStillServes(raw, nextStream: 101)

            case .callOrConnectionRefused(let stream, let code):
                let frames = try await raw.frames {
                    ($0.type == Wire.trailers && $0.stream == stream) || $0.type == Wire.goAway
                }
                let last = try #require(frames.last)
                if let goAway = last.goAway {
                    #expect(goAway.code == code, "\(goAway)")
                } else {
                    let replies = frames.filter { $0.stream == stream && $0.type == Wire.message }
                        .map { try? $0.decoded(as: EchoResponse.self) }
                    #expect(
                        last.status?.code == code,
                        "got \(String(describing: last.status)) after replies \(replies)"
                    )
                }

            case .closed:
                let frames = try await raw.framesUntilClosed()
                for goAway in frames.compactMap(\.goAway) {
                    #expect(goAway.code == .invalidArgument || goAway.code == .failedPrecondition, "\(goAway)")
                }
            }

            #expect(try await checkHealth(socketPath) == .serving, "a fresh connection is served")
            #expect(try await bystander.echoText("after") == "after", "the connection opened before is undisturbed")
        }
    }

    @Test("frames for a call that already ended are ignored, not treated as a protocol error")
    func framesAfterTheCallEnded() async throws {
        try await withServer { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(Wire.preface + Wire.healthCheck(stream: 1))
            let first = try await raw.frames { $0.type == Wire.trailers }
            #expect(first.last?.status?.code == .ok)

            let opaque: [UInt8] = [8, 7, 6, 5, 4, 3, 2, 1]
            raw.send(
                Wire.frame(stream: 1, type: Wire.message, payload: [])
                    + Wire.frame(stream: 1, type: Wire.closeSend)
                    + Wire.frame(stream: 1, type: Wire.cancel)
                    + Wire.frame(stream: 0, type: Wire.ping, payload: opaque)
            )
            let answer = try await raw.frames { $0.type == Wire.ping || $0.type == Wire.goAway }
            #expect(answer.last == WireFrame(stream: 0, type: Wire.ping, flags: Wire.ackFlag, payload: opaque))
            try await expectConnectionStillServes(raw, nextStream: 3)
        }
    }

    @Test("a peer that disappears in the middle of calls leaves the server serving")
    func peerVanishesMidCall() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let bystander = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await bystander.echoText("before") == "before")
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(Wire.preface + Wire.call(stream: 1, method: CallProbe.wait, request: Array("vanishing".utf8)))
            await probe.log.wait(for: .started("vanishing"))
            raw.close()
            await probe.log.wait(for: .cancelled("vanishing"))
            #expect(try await checkHealth(socketPath) == .serving)
            #expect(try await bystander.echoText("after") == "after")
        }
    }

    /// A Health/Check on the same raw connection succeeds, and nothing closed it.
    private func expectConnectionStillServes(_ raw: RawConnection, nextStream: UInt32) async throws {
        raw.send(Wire.healthCheck(stream: nextStream))
        let frames = try await raw.frames {
            ($0.type == Wire.trailers && $0.stream == nextStream) || $0.type == Wire.goAway
        }
        #expect(frames.last?.stream == nextStream, "frames: \(frames)")
        #expect(frames.last?.status?.code == .ok)
        let reply = try #require(frames.first { $0.stream == nextStream && $0.type == Wire.message })
        #expect(try reply.decoded(as: Baton_Rpc_V1_HealthCheckResponse.self).status == .serving)
    }
}

/// Reproducible pseudo-random bytes (SplitMix64), so a failing case can be replayed.
func seededBytes(seed: UInt64, count: Int) -> [UInt8] {
    var state = seed
    var bytes: [UInt8] = []
    while bytes.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        bytes += withUnsafeBytes(of: z, Array.init)
    }
    return Array(bytes.prefix(count))
}
