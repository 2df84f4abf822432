import BatonProtos
import BatonRPC

/// `baton.test.v1.TestService`: echoes requests over all four call kinds, optionally slowly or
/// failing, so the runtime, rpc-cli and the benchmarks can be exercised against a real batond
/// (`batond --enable-test-service`). It touches no data.
public struct TestService: RPCService {
    public typealias Request = Baton_Test_V1_EchoRequest
    public typealias Response = Baton_Test_V1_EchoResponse

    /// The largest generated payload: the protocol's default frame limit. A request asking for
    /// more would make batond allocate it before the frame check refuses to send it.
    static let maxResponsePayloadBytes: UInt32 = 4 << 20

    public init() {}

    public var methods: [RPCMethodHandler] {
        [
            .unary("/baton.test.v1.TestService/Unary") { (request: Request, context) -> Response in
                try await Self.pause(request)
                try Self.failIfAsked(request, sent: 0)
                return try Self.response(to: request, index: 0, received: 1, context: context)
            },
            .serverStreaming("/baton.test.v1.TestService/ServerStream") {
                (request: Request, writer: RPCStreamWriter<Response>, context) in
                for index in 0..<max(1, request.count) {
                    try Self.failIfAsked(request, sent: Int(index))
                    try await Self.pause(request)
                    try await writer.send(try Self.response(to: request, index: Int(index), received: 1, context: context))
                }
                try Self.failIfAsked(request, sent: Int(max(1, request.count)))
            },
            .clientStreaming("/baton.test.v1.TestService/ClientStream") {
                (requests: RPCMessageStream<Request>, context) -> Response in
                var texts = ""
                var received = 0
                var last = Request()
                for try await request in requests {
                    received += 1
                    texts += request.text
                    last = request
                }
                try await Self.pause(last)
                try Self.failIfAsked(last, sent: 0)
                var response = try Self.response(to: last, index: 0, received: received, context: context)
                response.text = texts
                return response
            },
            .bidirectionalStreaming("/baton.test.v1.TestService/Bidi") {
                (requests: RPCMessageStream<Request>, writer: RPCStreamWriter<Response>, context) in
                var received = 0
                var sent = 0
                for try await request in requests {
                    received += 1
                    for _ in 0..<max(1, request.count) {
                        try Self.failIfAsked(request, sent: sent)
                        try await Self.pause(request)
                        try await writer.send(
                            try Self.response(to: request, index: sent, received: received, context: context)
                        )
                        sent += 1
                    }
                }
            },
        ]
    }

    /// Counters are Ints, clamped into the response's uint32 fields: a client may send more than
    /// 2^32 messages on one call.
    private static func response(to request: Request, index: Int, received: Int, context: RPCServerContext)
        throws -> Response
    {
        guard request.responsePayloadBytes <= maxResponsePayloadBytes else {
            throw RPCError(
                .invalidArgument,
                "response_payload_bytes: \(request.responsePayloadBytes) is above the limit of \(maxResponsePayloadBytes)"
            )
        }
        var response = Response()
        response.text = request.text
        response.payload =
            request.responsePayloadBytes > 0
            ? [UInt8](repeating: 0x5a, count: Int(request.responsePayloadBytes)) : request.payload
        response.index = UInt32(clamping: index)
        response.receivedCount = UInt32(clamping: received)
        response.receivedMetadata = context.metadata.wire
        return response
    }

    private static func pause(_ request: Request) async throws {
        if request.delayMillis > 0 { try await Task.sleep(for: .milliseconds(Int(request.delayMillis))) }
    }

    /// Fails as the request asks: with `fail_with`, once `fail_after_messages` responses went out.
    private static func failIfAsked(_ request: Request, sent: Int) throws {
        guard request.failWith != .ok, sent >= Int(request.failAfterMessages) else { return }
        throw RPCError(RPCError.Code(rawValue: request.failWith.rawValue), request.failMessage)
    }
}
