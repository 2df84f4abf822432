import BatonProtos
import NIOCore
import NIOPosix

/// A client for a Baton RPC server over one multiplexed Unix-socket connection.
///
/// Calls are async; streaming responses are `AsyncSequence`s. A timeout becomes the call's
/// deadline on both sides; cancelling the calling task cancels the call (a CANCEL frame).
/// When the server goes away, calls fail with UNAVAILABLE.
public final class RPCClient: Sendable {
    private let channel: any Channel
    private let handler: ClientConnectionHandler

    private init(channel: any Channel, handler: ClientConnectionHandler) {
        self.channel = channel
        self.handler = handler
        self.executor = EventLoopTaskExecutor(loop: channel.eventLoop)
    }

    /// Connects to the server listening on `socketPath`. `maxFrameSize` is the largest frame
    /// payload the client accepts, at least 256 bytes (the protocol's minimum; a smaller value
    /// counts as 256).
    public static func connect(
        socketPath: String,
        maxFrameSize: Int = 4 << 20,
        receiveWindow: Int = 64,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RPCClient {
        let maxFrameSize = max(FittedEnvelope.minimumFrameBytes, maxFrameSize)
        let handler = ClientConnectionHandler(receiveWindow: receiveWindow, maxFrameSize: maxFrameSize)
        let channel: any Channel
        do {
            let address = try UnixSocketAddress.make(socketPath)
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(RPCFrameDecoder(maxFrameSize: maxFrameSize)),
                            handler,
                        ])
                    }
                }
                .connect(to: address).get()
        } catch {
            throw RPCError(.unavailable, "cannot connect to \(socketPath): \(error)")
        }
        return RPCClient(channel: channel, handler: handler)
    }

    /// Runs tasks on this connection's event loop. Callers that make many calls in a row can run
    /// there (`withTaskExecutorPreference(client.taskExecutor)`) to skip a thread hop per call.
    public var taskExecutor: any TaskExecutor { executor }
    private let executor: EventLoopTaskExecutor

    /// Closes the connection; calls in flight fail with UNAVAILABLE.
    public func close() async {
        try? await channel.close()
    }

    /// Round-trips a PING; throws when the connection is gone.
    public func ping() async throws {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute { self.handler.ping(promise) }
        try await promise.futureResult.get()
    }

    // MARK: Raw calls

    /// Opens a call of any kind over raw message bytes.
    public func makeCall(path: String, metadata: RPCMetadata = [:], timeout: Duration? = nil) async throws -> RPCClientCall {
        let headers = Self.callHeaders(path: path, metadata: metadata, timeout: timeout)
        let handler = self.handler
        let call = try await channel.eventLoop.submit { handler.open(headers: headers, timeout: timeout) }.get().get()
        return RPCClientCall(call: call)
    }

    /// A unary call over raw bytes: the response message and the response metadata (headers'
    /// entries, then trailers').
    public func unary(
        path: String,
        request: ByteBuffer,
        metadata: RPCMetadata = [:],
        timeout: Duration? = nil
    ) async throws -> (message: ByteBuffer, metadata: RPCMetadata) {
        let headers = Self.callHeaders(path: path, metadata: metadata, timeout: timeout)
        let handler = self.handler
        let loop = channel.eventLoop
        let started = StartedCall()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let start: @Sendable () -> Void = {
                    started.call = handler.startUnary(headers: headers, request: request, timeout: timeout, waiter: continuation)
                    if started.cancelled { started.call?.cancel() }
                }
                if loop.inEventLoop { start() } else { loop.execute(start) }
            }
        } onCancel: {
            loop.execute {
                started.cancelled = true
                started.call?.cancel()
            }
        }
    }

    private static func callHeaders(path: String, metadata: RPCMetadata, timeout: Duration?) -> Baton_Rpc_V1_CallHeaders {
        var headers = Baton_Rpc_V1_CallHeaders()
        headers.method = path
        headers.metadata = metadata.wire
        if let timeout {
            headers.timeoutMicros = microseconds(timeout)
        }
        return headers
    }

    // MARK: Typed calls

    /// One request, one response.
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        _ request: Request,
        as: Response.Type = Response.self,
        metadata: RPCMetadata = [:],
        timeout: Duration? = nil
    ) async throws -> Response {
        let response = try await unary(path: path, request: try encodeRequest(request), metadata: metadata, timeout: timeout)
        return try decodeResponse(response.message)
    }

    /// One request, a stream of responses. Iterating throws the call's error, if any, at the end.
    public func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        _ request: Request,
        as: Response.Type = Response.self,
        metadata: RPCMetadata = [:],
        timeout: Duration? = nil
    ) async throws -> RPCResponseStream<Response> {
        let call = try await makeCall(path: path, metadata: metadata, timeout: timeout)
        do {
            try await call.send(try encodeRequest(request))
        } catch {
            call.cancel()  // the server must not wait for a request that will never come
            throw error
        }
        call.closeSend()
        return RPCResponseStream(raw: call.responses)
    }

    /// A stream of requests, one response.
    public func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        requests: some AsyncSequence<Request, any Error> & Sendable,
        as: Response.Type = Response.self,
        metadata: RPCMetadata = [:],
        timeout: Duration? = nil
    ) async throws -> Response {
        let call = try await makeCall(path: path, metadata: metadata, timeout: timeout)
        return try await withTaskCancellationHandler {
            do {
                for try await request in requests { try await call.send(try encodeRequest(request)) }
            } catch {
                call.cancel()  // the server must not wait for requests that will never come
                throw error
            }
            call.closeSend()
            var response: ByteBuffer?
            for try await message in call.responses where response == nil { response = message }
            guard let response else { throw RPCError(.internal, "the server ended the call without a response") }
            return try decodeResponse(response)
        } onCancel: {
            call.cancel()
        }
    }
}

extension RPCClient {
    /// Streams both ways: send requests and read responses at the same time through the
    /// returned call; end the requests with `closeSend()`.
    public func bidirectionalStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ path: String,
        requestType: Request.Type = Request.self,
        responseType: Response.Type = Response.self,
        metadata: RPCMetadata = [:],
        timeout: Duration? = nil
    ) async throws -> RPCStreamingCall<Request, Response> {
        RPCStreamingCall(raw: try await makeCall(path: path, metadata: metadata, timeout: timeout))
    }
}

/// A typed call streaming both ways.
public struct RPCStreamingCall<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    public let raw: RPCClientCall

    /// Sends one request; suspends while the server's window is used up.
    public func send(_ request: Request) async throws { try await raw.send(try encodeRequest(request)) }

    /// Says no more requests will follow.
    public func closeSend() { raw.closeSend() }

    /// Abandons the call.
    public func cancel() { raw.cancel() }

    /// The responses as they arrive; throws the call's error at the end.
    public var responses: RPCResponseStream<Response> { RPCResponseStream(raw: raw.responses) }
}

/// The call a unary request started, once the event loop opened it; touched only on that loop.
private final class StartedCall: @unchecked Sendable {
    var call: ClientCall?
    var cancelled = false
}

/// An open call over raw message bytes, of any streaming kind.
public struct RPCClientCall: Sendable {
    let call: ClientCall

    /// Sends a request message; suspends while the server's window is used up.
    public func send(_ message: ByteBuffer) async throws { try await call.send(message) }

    /// Says no more request messages will follow.
    public func closeSend() { call.closeSend() }

    /// Abandons the call (the server's handler is cancelled).
    public func cancel() { call.cancel() }

    /// The response messages as they arrive; throws the call's error at the end.
    public var responses: RPCRawResponseStream { RPCRawResponseStream(call: call) }

    /// The response metadata, once the server sent its headers or its first response message
    /// (empty when it sent messages without headers).
    public var initialMetadata: RPCMetadata? {
        get async throws { try await call.loop.submit { self.call.initialMetadata }.get() }
    }

    /// Waits for the end of the call: the trailing metadata, or the call's error.
    public func trailingMetadata() async throws -> RPCMetadata { try await call.status() }
}

/// Raw response messages of a call.
public struct RPCRawResponseStream: AsyncSequence, Sendable {
    let call: ClientCall

    public struct AsyncIterator: AsyncIteratorProtocol {
        let call: ClientCall
        public mutating func next() async throws -> ByteBuffer? { try await call.nextResponse() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(call: call) }
}

/// Typed response messages of a call.
public struct RPCResponseStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    let raw: RPCRawResponseStream

    public struct AsyncIterator: AsyncIteratorProtocol {
        var raw: RPCRawResponseStream.AsyncIterator
        public mutating func next() async throws -> Message? {
            guard let buffer = try await raw.next() else { return nil }
            return try decodeResponse(buffer)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(raw: raw.makeAsyncIterator()) }
}

/// `duration` in whole microseconds, at least 1, saturating at the largest value the wire carries.
private func microseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 1 }
    let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000)
    if overflow { return .max }
    let (total, carry) = whole.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000_000))
    return carry ? .max : max(1, total)
}

private func encodeRequest<Message: ProtoMessage>(_ message: Message) throws -> ByteBuffer {
    do {
        return ByteBuffer(bytes: try message.serializedBytes())
    } catch {
        throw RPCError(.invalidArgument, "the request could not be encoded: \(error)")
    }
}

func decodeResponse<Message: ProtoMessage>(_ buffer: ByteBuffer) throws -> Message {
    do {
        return try buffer.withUnsafeReadableBytes { (raw) throws(ProtoCodecError) in try Message(serializedBytes: raw) }
    } catch {
        throw RPCError(.internal, "the server sent an invalid \(Message.protoMessageName): \(error)")
    }
}
