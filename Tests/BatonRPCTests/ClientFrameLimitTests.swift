import BatonProtos
import BatonRPC
import NIOCore
import Testing

/// A client that announces a small `max_frame_bytes` never receives a longer frame: the server
/// cuts what does not fit from its HEADERS, TRAILERS and GOAWAY (PROTOCOL.md 3.2), and the call
/// still gets its status code.
@Suite("The client's max_frame_bytes", .timeLimit(.minutes(1)))
struct ClientFrameLimitTests {
    static let limit: UInt32 = 256

    /// Fails with ABORTED and far more than 256 bytes of response metadata, message and trailing
    /// metadata, with two details that fit once the message and most trailing metadata are gone.
    private struct Oversized: RPCService {
        static let path = "/baton.test.Oversized/Fail"
        static let initialMetadata = numbered("x-initial", count: 20)
        static let trailingMetadata = numbered("x-trailing", count: 20)
        static let message = String(repeating: "é", count: 1500)

        static func numbered(_ key: String, count: Int) -> RPCMetadata {
            var metadata = RPCMetadata()
            for index in 0..<count { metadata.add("\(key)-\(index)", String(repeating: "v", count: 30)) }
            return metadata
        }

        var methods: [RPCMethodHandler] {
            [
                RPCMethodHandler(path: Self.path, kind: .unary) { _, writer, _ in
                    writer.setInitialMetadata(Self.initialMetadata)
                    var retry = Baton_Rpc_V1_RetryInfo()
                    retry.retryAfterMillis = 250
                    var large = Baton_Rpc_V1_ErrorDetail()
                    large.type = "baton.test.Large"
                    large.value = Array(repeating: 1, count: 100)
                    var error = RPCError(.aborted, Self.message, metadata: Self.trailingMetadata).adding(retry)
                    error.details.append(large)
                    throw error
                }
            ]
        }
    }

    /// A raw connection whose SETTINGS announce `limit` bytes.
    private func connect(_ socketPath: String) throws -> RawConnection {
        let raw = try RawConnection.connect(to: socketPath)
        var settings = Baton_Rpc_V1_Settings()
        settings.maxFrameBytes = Self.limit
        raw.send(Wire.preface + Wire.frame(stream: 0, type: Wire.settings, payload: try settings.serializedBytes()))
        return raw
    }

    private func expectWithinLimit(_ frames: [WireFrame], sourceLocation: SourceLocation = #_sourceLocation) {
        for frame in frames {
            #expect(frame.payload.count <= Int(Self.limit), "\(frame)", sourceLocation: sourceLocation)
        }
    }

    private func trailers(stream: UInt32, in frames: [WireFrame]) throws -> Baton_Rpc_V1_Trailers {
        let frame = try #require(frames.last { $0.stream == stream && $0.type == Wire.trailers }, "frames: \(frames)")
        return try frame.decoded(as: Baton_Rpc_V1_Trailers.self)
    }

    @Test("a status message of 3,000 bytes is cut on a character boundary to fit; the code arrives")
    func longStatusMessage() async throws {
        try await withServer { _, socketPath in
            let raw = try connect(socketPath)
            let message = String(repeating: "é", count: 1500)
            let request = echo("x") {
                $0.failWith = .invalidArgument
                $0.failMessage = message
            }
            raw.send(Wire.call(stream: 1, method: Paths.unary, request: try request.serializedBytes()))
            let frames = try await raw.frames { $0.type == Wire.trailers }
            expectWithinLimit(frames)
            let status = try #require(try trailers(stream: 1, in: frames).status)
            #expect(status.code == .invalidArgument)
            #expect(status.message.hasSuffix("..."), "\(status.message)")
            #expect(status.message.count > 3, "as much of the message as fits is kept")
            #expect(message.hasPrefix(status.message.dropLast(3)), "\(status.message)")
        }
    }

    @Test("an unknown method with a long name is refused with UNIMPLEMENTED within the limit")
    func longUnknownMethod() async throws {
        try await withServer { _, socketPath in
            let raw = try connect(socketPath)
            raw.send(Wire.call(stream: 1, method: "/x.Y/" + String(repeating: "z", count: 2000), request: []))
            let frames = try await raw.frames { $0.type == Wire.trailers }
            expectWithinLimit(frames)
            #expect(frames.last?.status?.code == .unimplemented, "frames: \(frames)")
        }
    }

    @Test(
        "oversized response metadata, trailing metadata and details: what fits is kept in order, message cut first, details last"
    )
    func oversizedMetadataAndDetails() async throws {
        try await withServer(services: [Oversized()]) { _, socketPath in
            let raw = try connect(socketPath)
            raw.send(Wire.call(stream: 1, method: Oversized.path, request: []))
            let frames = try await raw.frames { $0.type == Wire.trailers }
            expectWithinLimit(frames)

            let headersFrame = try #require(frames.first { $0.type == Wire.headers }, "frames: \(frames)")
            let initial = RPCMetadata(try headersFrame.decoded(as: Baton_Rpc_V1_ResponseHeaders.self).metadata)
            #expect(!initial.entries.isEmpty)
            #expect(Oversized.initialMetadata.entries.starts(with: initial.entries) { $0 == $1 })
            #expect(initial.entries.count < Oversized.initialMetadata.entries.count)

            let trailers = try trailers(stream: 1, in: frames)
            let status = try #require(trailers.status)
            #expect(status.code == .aborted)
            #expect(status.message.isEmpty, "the message gives way first: \(status.message)")
            let trailing = RPCMetadata(trailers.metadata)
            #expect(!trailing.entries.isEmpty)
            #expect(Oversized.trailingMetadata.entries.starts(with: trailing.entries) { $0 == $1 })
            #expect(trailing.entries.count < Oversized.trailingMetadata.entries.count)
            #expect(
                status.details.map(\.type) == ["baton.rpc.v1.RetryInfo", "baton.test.Large"],
                "details are kept longest"
            )
        }
    }

    @Test("the drain's GOAWAY and every other frame fit too")
    func drainGoAway() async throws {
        try await withServer { server, socketPath in
            let raw = try connect(socketPath)
            raw.send(Wire.healthCheck(stream: 1))
            _ = try await raw.frames { $0.type == Wire.trailers }
            await server.shutdown()
            let frames = try await raw.framesUntilClosed()
            expectWithinLimit(frames)
            #expect(frames.compactMap(\.goAway).first?.code == .unavailable, "frames: \(frames)")
        }
    }

    @Test("a client announcing exactly the minimum of 256 bytes is served")
    func minimumIsAccepted() async throws {
        try await withServer { _, socketPath in
            let raw = try connect(socketPath)
            raw.send(Wire.healthCheck(stream: 1))
            let frames = try await raw.frames { $0.type == Wire.trailers || $0.type == Wire.goAway }
            #expect(frames.last?.status?.code == .ok, "frames: \(frames)")
        }
    }
}
