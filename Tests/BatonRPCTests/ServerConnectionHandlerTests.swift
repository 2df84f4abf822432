import BatonProtos
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import BatonRPC

/// The server's connection handler on an `EmbeddedChannel`: its frames and its handler tasks,
/// with no socket and no threads.
@Suite("Server connection handler")
struct ServerConnectionHandlerTests {
    private static let echo = "/test.Embedded/Echo"
    private static let wait = "/test.Embedded/Wait"
    private static let counted = "/test.Embedded/Counted"

    /// Where the handler of `wait` parks until the test lets it return; cancellation does not
    /// end the wait, as a handler busy in a database call does not end at once.
    private final class Gate: Sendable {
        private let parked = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)

        func park() async {
            await withCheckedContinuation { continuation in parked.withLockedValue { $0 = continuation } }
        }

        func open() {
            parked.withLockedValue { parked in
                parked?.resume()
                parked = nil
            }
        }
    }

    private let gate = Gate()
    /// How many times the handler of `counted` ran.
    private let handlerRuns = NIOLockedValueBox(0)

    private struct EmbeddedService: RPCService {
        let gate: Gate
        let handlerRuns: NIOLockedValueBox<Int>

        var methods: [RPCMethodHandler] {
            [
                RPCMethodHandler(path: ServerConnectionHandlerTests.echo, kind: .unary) { requests, writer, _ in
                    var iterator = requests.makeAsyncIterator()
                    if let request = try await iterator.next() { try await writer.send(request) }
                },
                RPCMethodHandler(path: ServerConnectionHandlerTests.wait, kind: .bidirectionalStreaming) {
                    [gate] _, _, _ in
                    await gate.park()
                },
                RPCMethodHandler(path: ServerConnectionHandlerTests.counted, kind: .unary) {
                    [handlerRuns] _, _, _ in
                    handlerRuns.withLockedValue { $0 += 1 }
                },
            ]
        }
    }

    /// An active channel served by a `ServerConnectionHandler`, the way `RPCServer` sets it up.
    private func servedChannel() throws -> (EmbeddedChannel, ServerConnectionHandler) {
        let channel = EmbeddedChannel()
        let metrics = RPCServerMetrics()
        let handler = ServerConnectionHandler(
            router: RPCRouter(services: [EmbeddedService(gate: gate, handlerRuns: handlerRuns)], metrics: metrics),
            configuration: RPCServerConfiguration(socketPath: "/unused"),
            peer: nil,
            loop: channel.eventLoop,
            logger: Logger(label: "test"),
            metrics: metrics
        )
        channel.closeFuture.whenComplete { _ in handler.channelDidClose() }
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/unused")).wait()
        try channel.writeInbound(ByteBuffer(bytes: Wire.preface))
        return (channel, handler)
    }

    /// The frames the server wrote so far, after its preface and SETTINGS.
    private func writtenFrames(_ channel: EmbeddedChannel) throws -> [RPCFrame] {
        let decoder = EmbeddedChannel(handler: ByteToMessageHandler(RPCFrameDecoder(maxFrameSize: 1 << 20)))
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { try decoder.writeInbound(bytes) }
        var frames: [RPCFrame] = []
        while let inbound = try decoder.readInbound(as: RPCInbound.self) {
            if case .frame(let frame) = inbound, frame.kind != .settings { frames.append(frame) }
        }
        return frames
    }

    /// The status a TRAILERS frame carries.
    private func status(_ frame: RPCFrame?) throws -> Baton_Rpc_V1_Status? {
        try frame?.payload.withUnsafeReadableBytes { raw in try Baton_Rpc_V1_Trailers(serializedBytes: raw) }.status
    }

    @Test("a unary call is answered with MESSAGE then TRAILERS OK, and no HEADERS without response metadata")
    func unaryCall() throws {
        let (channel, _) = try servedChannel()
        try channel.writeInbound(ByteBuffer(bytes: Wire.call(stream: 1, method: Self.echo, request: [1, 2, 3])))
        channel.embeddedEventLoop.run()
        let frames = try writtenFrames(channel)
        #expect(frames.map(\.kind) == [.message, .trailers])
        #expect(frames.first?.payload == ByteBuffer(bytes: [1, 2, 3]))
        #expect(try status(frames.last)?.code == .ok)
        _ = try channel.finish()
    }

    @Test("a call its client cancels in the read that opened it never runs its handler, and gets no answer")
    func callCancelledInItsOpeningRead() throws {
        let (channel, _) = try servedChannel()
        let cancel = Wire.frame(stream: 1, type: Wire.cancel)
        try channel.writeInbound(ByteBuffer(bytes: Wire.open(stream: 1, method: Self.counted) + cancel))
        try channel.writeInbound(ByteBuffer(bytes: Wire.call(stream: 2, method: Self.counted, request: [])))
        channel.embeddedEventLoop.run()
        let frames = try writtenFrames(channel)
        #expect(frames.map(\.kind) == [.trailers])
        #expect(frames.first?.streamID == 2)
        #expect(handlerRuns.withLockedValue { $0 } == 1)
        _ = try channel.finish()
    }

    @Test("a call whose bytes arrive one at a time is answered as one that arrives in one read")
    func framesSplitAcrossReads() throws {
        let (channel, _) = try servedChannel()
        for byte in Wire.call(stream: 1, method: Self.echo, request: [7, 8, 9]) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        channel.embeddedEventLoop.run()
        let frames = try writtenFrames(channel)
        #expect(frames.map(\.kind) == [.message, .trailers])
        #expect(frames.first?.payload == ByteBuffer(bytes: [7, 8, 9]))
        _ = try channel.finish()
    }

    @Test("in one read, the bytes after a protocol error are not served: GOAWAY, then the channel closes")
    func bytesAfterAProtocolErrorAreIgnored() throws {
        let (channel, _) = try servedChannel()
        let badPing = Wire.frame(stream: 0, type: Wire.ping, payload: [1, 2, 3])
        try channel.writeInbound(ByteBuffer(bytes: badPing + Wire.call(stream: 1, method: Self.echo, request: [1])))
        channel.embeddedEventLoop.run()
        let frames = try writtenFrames(channel)
        #expect(frames.map(\.kind) == [.goAway])
        #expect(!channel.isActive)
    }

    @Test("a method no service serves is answered with trailers UNIMPLEMENTED naming it")
    func unknownMethod() throws {
        let (channel, _) = try servedChannel()
        try channel.writeInbound(ByteBuffer(bytes: Wire.call(stream: 1, method: "/nope/Nope", request: [])))
        channel.embeddedEventLoop.run()
        let frames = try writtenFrames(channel)
        #expect(frames.map(\.kind) == [.trailers])
        let refusal = try status(frames.first)
        #expect(refusal?.code == .unimplemented)
        #expect(refusal?.message == "unknown method /nope/Nope")
        _ = try channel.finish()
    }

    @Test("a connection's handlers are finished only once its channel closed and its handlers returned")
    func handlersFinishAfterTheChannelAndTheirTasks() throws {
        let (channel, handler) = try servedChannel()
        var finished = false
        handler.handlersFinished.whenComplete { _ in finished = true }
        try channel.writeInbound(ByteBuffer(bytes: Wire.open(stream: 1, method: Self.wait)))
        channel.embeddedEventLoop.run()
        try channel.close().wait()
        channel.embeddedEventLoop.run()
        // Closed, the call is abandoned and its task cancelled, but the handler has not returned.
        #expect(!finished)
        gate.open()
        channel.embeddedEventLoop.run()
        #expect(finished)
    }

    @Test("a connection that closes with no handler running is finished with its channel")
    func idleConnectionFinishesWithItsChannel() throws {
        let (channel, handler) = try servedChannel()
        var finished = false
        handler.handlersFinished.whenComplete { _ in finished = true }
        channel.embeddedEventLoop.run()
        #expect(!finished)
        try channel.close().wait()
        channel.embeddedEventLoop.run()
        #expect(finished)
    }
}
