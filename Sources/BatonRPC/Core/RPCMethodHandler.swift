import BatonProtos
import Logging
import NIOCore

/// Who is calling, from the socket's peer credentials (SO_PEERCRED).
public struct RPCPeer: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// What a handler knows about its call.
public struct RPCServerContext: Sendable {
    /// The full method path, e.g. `/baton.v1.Chats/TransferChat`.
    public var path: String
    /// The caller's metadata.
    public var metadata: RPCMetadata
    /// When the caller stops waiting, if it set a timeout. The handler's task is cancelled then.
    public var deadline: ContinuousClock.Instant?
    /// The calling process, when the transport knows it.
    public var peer: RPCPeer?
    /// The call's stream id on its connection.
    public var streamID: UInt32
    /// The connection's logger, before the call's metadata is added.
    var connectionLogger: Logger

    /// A logger carrying the call's method and stream id. Built when asked for: most calls
    /// never log, and the metadata would cost two allocations on every call.
    public var logger: Logger {
        var logger = connectionLogger
        logger[metadataKey: "rpc.method"] = "\(path)"
        logger[metadataKey: "rpc.stream"] = "\(streamID)"
        return logger
    }
}

/// The request messages of a call as raw protobuf bytes, in order; ends when the caller
/// half-closes. Iterating suspends while none are buffered; consuming grants the caller more
/// (flow control), so an unread stream holds a bounded number of messages.
public struct RPCRequestStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let call: ServerCall

    public struct AsyncIterator: AsyncIteratorProtocol {
        let call: ServerCall
        public mutating func next() async throws -> ByteBuffer? { try await call.nextRequestMessage() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(call: call) }
}

/// Sends a call's response messages (raw protobuf bytes) and response metadata. `send` suspends
/// while the caller's flow-control window is exhausted, so a slow reader slows only its own call.
public struct RPCResponseWriter: Sendable {
    let call: ServerCall

    /// Sends one response message.
    public func send(_ message: ByteBuffer) async throws { try await call.sendResponseMessage(message) }

    /// Sets metadata to send with the response headers; effective until the first message is sent.
    public func setInitialMetadata(_ metadata: RPCMetadata) { call.setInitialMetadata(metadata) }

    /// Sets metadata to send with the trailers.
    public func setTrailingMetadata(_ metadata: RPCMetadata) { call.setTrailingMetadata(metadata) }
}

/// One method a server answers: its path, its streaming kind, and the function serving it.
public struct RPCMethodHandler: Sendable {
    public var path: String
    public var kind: ProtoMethodKind
    /// True for a stream that only ends when the caller cancels it (Events/Watch): a graceful
    /// shutdown ends it with UNAVAILABLE right away rather than letting it hold the shutdown for
    /// the whole grace period. Callers of such streams resume; they never lose anything.
    public var endsOnShutdown = false
    let body: @Sendable (RPCRequestStream, RPCResponseWriter, RPCServerContext) async throws -> Void

    /// A handler over raw bytes, for services that do their own decoding.
    public init(
        path: String,
        kind: ProtoMethodKind,
        body: @escaping @Sendable (RPCRequestStream, RPCResponseWriter, RPCServerContext) async throws -> Void
    ) {
        self.path = path
        self.kind = kind
        self.body = body
    }
}

extension RPCMethodHandler {
    /// The same handler, ended at once by a graceful shutdown (see `endsOnShutdown`).
    public func endingOnShutdown() -> RPCMethodHandler {
        var handler = self
        handler.endsOnShutdown = true
        return handler
    }
}

/// A group of methods, e.g. one service of the schema.
public protocol RPCService: Sendable {
    var methods: [RPCMethodHandler] { get }
}

// MARK: - Typed handlers

extension RPCMethodHandler {
    /// One request, one response.
    public static func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        _ body: @escaping @Sendable (Request, RPCServerContext) async throws -> Response
    ) -> RPCMethodHandler {
        RPCMethodHandler(path: path, kind: .unary) { requests, writer, context in
            let request: Request = try await requests.single()
            try await writer.call.sendResponseMessage(try packMessage(try await body(request, context)))
        }
    }

    /// One request, a stream of responses.
    public static func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        _ body: @escaping @Sendable (Request, RPCStreamWriter<Response>, RPCServerContext) async throws -> Void
    ) -> RPCMethodHandler {
        RPCMethodHandler(path: path, kind: .serverStreaming) { requests, writer, context in
            let request: Request = try await requests.single()
            try await body(request, RPCStreamWriter(raw: writer), context)
        }
    }

    /// A stream of requests, one response.
    public static func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        _ body: @escaping @Sendable (RPCMessageStream<Request>, RPCServerContext) async throws -> Response
    ) -> RPCMethodHandler {
        RPCMethodHandler(path: path, kind: .clientStreaming) { requests, writer, context in
            let response = try await body(RPCMessageStream(raw: requests), context)
            try await writer.call.sendResponseMessage(try packMessage(response))
        }
    }

    /// Streams both ways.
    public static func bidirectionalStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        _ body: @escaping @Sendable (RPCMessageStream<Request>, RPCStreamWriter<Response>, RPCServerContext) async throws
            -> Void
    ) -> RPCMethodHandler {
        RPCMethodHandler(path: path, kind: .bidirectionalStreaming) { requests, writer, context in
            try await body(RPCMessageStream(raw: requests), RPCStreamWriter(raw: writer), context)
        }
    }
}

func packMessage<Message: ProtoMessage>(_ message: Message) throws -> ProtoPackable {
    do {
        return try ProtoPackable(message)
    } catch {
        // The caller learns only that it failed; the handler's logger has the details.
        throw EncodingFailure(underlying: error)
    }
}

/// A response that protobuf-c cannot encode (a string holding U+0000): a handler bug, reported
/// to the caller as INTERNAL and logged with the details.
struct EncodingFailure: Error, CustomStringConvertible {
    var underlying: any Error
    var description: String { "the response could not be encoded: \(underlying)" }
}

func decodeMessage<Message: ProtoMessage>(_ buffer: ByteBuffer, as type: Message.Type = Message.self) throws -> Message {
    do {
        return try buffer.withUnsafeReadableBytes { (raw) throws(ProtoCodecError) in try Message(serializedBytes: raw) }
    } catch {
        throw RPCError(.invalidArgument, "invalid \(Message.protoMessageName): \(error)")
    }
}

extension RPCRequestStream {
    /// The one request message of a unary or server-streaming call.
    func single<Message: ProtoMessage>() async throws -> Message {
        var iterator = makeAsyncIterator()
        guard let first = try await iterator.next() else {
            throw RPCError(.invalidArgument, "the call ended without its request message")
        }
        return try decodeMessage(first)
    }
}

/// Typed request messages of a client- or bidirectional-streaming call.
public struct RPCMessageStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    let raw: RPCRequestStream

    public struct AsyncIterator: AsyncIteratorProtocol {
        var raw: RPCRequestStream.AsyncIterator
        public mutating func next() async throws -> Message? {
            guard let buffer = try await raw.next() else { return nil }
            return try decodeMessage(buffer)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(raw: raw.makeAsyncIterator()) }
}

/// Typed response messages of a server- or bidirectional-streaming call.
public struct RPCStreamWriter<Message: ProtoMessage>: Sendable {
    let raw: RPCResponseWriter

    /// Sends one message; suspends while the caller's window is exhausted.
    public func send(_ message: Message) async throws {
        try await raw.call.sendResponseMessage(try packMessage(message))
    }

    /// Sets metadata for the response headers (before the first message).
    public func setInitialMetadata(_ metadata: RPCMetadata) { raw.setInitialMetadata(metadata) }

    /// Sets metadata to send with the trailers, also when the call ends with an error raised
    /// outside the handler (a shutdown, a deadline) that carries none of its own.
    public func setTrailingMetadata(_ metadata: RPCMetadata) { raw.setTrailingMetadata(metadata) }
}
