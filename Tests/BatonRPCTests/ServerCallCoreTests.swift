import BatonProtos
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import BatonRPC

/// The call core through a wire that only records what the calls send: routing, metadata,
/// deadlines and statuses without Baton's frames, as a second wire would use them.
@Suite("Server call core")
struct ServerCallCoreTests {
    private static let echo = "/test.Core/Echo"
    private static let failing = "/test.Core/Failing"
    private static let waiting = "/test.Core/Waiting"

    private struct CoreService: RPCService {
        struct Internal: Error {}

        var methods: [RPCMethodHandler] {
            [
                RPCMethodHandler(path: ServerCallCoreTests.echo, kind: .unary) { requests, writer, _ in
                    writer.setTrailingMetadata(["served-by": "core"])
                    for try await request in requests { try await writer.send(request) }
                },
                RPCMethodHandler(path: ServerCallCoreTests.failing, kind: .unary) { _, _, _ in
                    throw Internal()
                },
                RPCMethodHandler(path: ServerCallCoreTests.waiting, kind: .bidirectionalStreaming) { requests, _, _ in
                    for try await _ in requests {}
                },
            ]
        }
    }

    /// A wire that records what it is asked to send.
    private final class RecordingTransport: ServerCallTransport, @unchecked Sendable {
        enum Sent: Equatable {
            case headers(RPCMetadata)
            case message(ByteBuffer)
            case trailers(RPCError.Code, message: String, metadata: RPCMetadata)
            case grant(Int)
        }

        var sent: [Sent] = []
        var ended: [UInt32] = []

        func sendResponseHeaders(_ metadata: RPCMetadata, streamID: UInt32) { sent.append(.headers(metadata)) }
        func sendResponseMessage(_ message: ByteBuffer, streamID: UInt32) { sent.append(.message(message)) }
        func sendResponseMessage(_ message: ProtoPackable, streamID: UInt32) {
            sent.append(.message(ByteBuffer(packing: message)))
        }
        func sendTrailers(error: RPCError?, metadata: RPCMetadata, streamID: UInt32) {
            sent.append(.trailers(error?.code ?? .ok, message: error?.message ?? "", metadata: metadata))
        }
        func grantRequestMessages(_ messages: Int, streamID: UInt32) { sent.append(.grant(messages)) }
        var isWritable: Bool { true }
        func retryWhenWritable(_ call: ServerCall) {}
        func callEnded(_ call: ServerCall) { ended.append(call.streamID) }
    }

    private let loop = EmbeddedEventLoop()
    private let transport = RecordingTransport()

    private func core() -> ServerCallCore {
        let metrics = RPCServerMetrics()
        return ServerCallCore(
            router: RPCRouter(services: [CoreService()], metrics: metrics),
            configuration: RPCServerConfiguration(socketPath: "/unused"),
            peer: nil,
            loop: loop,
            logger: Logger(label: "test"),
            metrics: metrics
        )
    }

    /// Closes the connection, as every wire does: its handlers-finished promise completes.
    private func close(_ core: ServerCallCore) {
        core.connectionDidClose()
        loop.run()
    }

    private func start(
        _ core: ServerCallCore,
        _ method: String,
        metadata: [Baton_Rpc_V1_MetadataEntry] = [],
        timeout: Duration? = nil
    ) -> Result<ServerCall, RPCError> {
        let result = core.startCall(
            ServerCallCore.Head(method: method, metadata: metadata, timeout: timeout),
            streamID: 1,
            transport: transport,
            peerLimits: ServerCallCore.PeerLimits(window: 64, maxMessageBytes: 1024)
        )
        // As a wire whose read brought only the call's opening.
        core.startHandlers()
        return result
    }

    @Test("a unary call's request reaches its handler and the response and status reach the wire")
    func unaryThroughTheCore() throws {
        let core = core()
        let call = try start(core, Self.echo).get()
        call.receive(ByteBuffer(string: "hi"))
        call.receiveCloseSend()
        loop.run()
        close(core)
        #expect(
            transport.sent == [
                .message(ByteBuffer(string: "hi")), .trailers(.ok, message: "", metadata: ["served-by": "core"]),
            ]
        )
        #expect(transport.ended == [1])
    }

    @Test("a method no handler serves is refused with UNIMPLEMENTED, and nothing reaches the wire")
    func unknownMethod() {
        let core = core()
        let result = start(core, "/test.Core/Missing")
        close(core)
        #expect(result.failure == RPCError(.unimplemented, "unknown method /test.Core/Missing"))
        #expect(transport.sent.isEmpty)
    }

    @Test("invalid request metadata is refused with INVALID_ARGUMENT before any handler runs")
    func invalidMetadata() {
        var entry = Baton_Rpc_V1_MetadataEntry()
        entry.key = "Upper"
        entry.value = .text("x")
        let core = core()
        let result = start(core, Self.echo, metadata: [entry])
        close(core)
        #expect(result.failure?.code == .invalidArgument)
    }

    @Test("a handler's own error reaches the caller as INTERNAL without its details")
    func handlerFailure() throws {
        let core = core()
        let call = try start(core, Self.failing).get()
        call.receiveCloseSend()
        loop.run()
        close(core)
        #expect(transport.sent == [.trailers(.internal, message: "internal error", metadata: [:])])
    }

    @Test("a call past its deadline ends with DEADLINE_EXCEEDED and its handler returns")
    func deadline() throws {
        let core = core()
        var handlersFinished = false
        core.handlersFinished.whenComplete { _ in handlersFinished = true }
        _ = try start(core, Self.waiting, timeout: .milliseconds(20)).get()
        loop.run()
        #expect(transport.sent.isEmpty)
        loop.advanceTime(by: .milliseconds(20))
        let statuses = transport.sent.compactMap { sent -> RPCError.Code? in
            guard case .trailers(let code, _, _) = sent else { return nil }
            return code
        }
        #expect(statuses == [.deadlineExceeded])
        close(core)
        #expect(handlersFinished)
    }
}
