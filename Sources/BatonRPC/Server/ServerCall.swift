import BatonProtos
import Logging
import NIOCore

/// One call on the server: its buffered request messages, its flow-control windows, its
/// handler's task and deadline. Confined to the connection's event loop; async entry points
/// called from elsewhere hop there first.
final class ServerCall: @unchecked Sendable {
    // All mutable state is touched only on `loop` (asserted), hence `@unchecked Sendable`.
    let streamID: UInt32
    let loop: any EventLoop
    let path: String
    /// The handler streams until cancelled (an event feed): a shutdown ends it at once instead
    /// of waiting out the grace period, and the client resumes elsewhere or after a restart.
    let endsOnShutdown: Bool
    /// Unary and server-streaming calls take exactly one request message.
    let takesOneRequest: Bool
    /// The largest frame payload the client accepts (its SETTINGS): every frame of the call fits.
    let clientMaxFrameSize: Int
    let startedAt: ContinuousClock.Instant
    private var requestsReceived = 0
    private weak var connection: ServerConnectionHandler?

    private var requests = CircularBuffer<ByteBuffer>()
    private var requestsClosed = false
    private var failure: (any Error)?
    private var requestWaiter: CheckedContinuation<ByteBuffer?, any Error>?
    /// Messages the client may still send before it needs a WINDOW_UPDATE from us.
    private var clientCredit: Int
    private var consumedSinceGrant = 0
    private let receiveWindow: Int

    /// Messages the client still allows us to send; never above `maxWindowMessages`.
    private var sendCredit: Int
    private let maxWindowMessages: Int
    private let maxWindowBytes: Int
    /// Sizes of the sent responses the client has not granted back yet, oldest first, and their
    /// total: what `maxWindowBytes` caps. Kept for streamed responses only; one response is never
    /// held back by it.
    private var unacknowledgedSizes: CircularBuffer<Int>?
    private var unacknowledgedBytes = 0
    /// What to do when the send may be retried (success) or the call ends (failure).
    private var sendWaiter: ((Result<Void, any Error>) -> Void)?
    /// The waiting send is registered with the connection, to be retried when its write buffer
    /// drains.
    private var waitsForWriteBuffer = false
    private var sentHeaders = false
    private var initialMetadata = RPCMetadata()
    private var trailingMetadata = RPCMetadata()

    private(set) var isFinished = false
    var task: Task<Void, Never>?
    var deadlineTimer: Scheduled<Void>?

    init(
        streamID: UInt32,
        method: RPCMethodHandler,
        connection: ServerConnectionHandler,
        loop: any EventLoop,
        receiveWindow: Int,
        sendWindow: Int,
        maxWindowMessages: Int,
        maxWindowBytes: Int,
        clientMaxFrameSize: Int
    ) {
        self.streamID = streamID
        self.path = method.path
        self.endsOnShutdown = method.endsOnShutdown
        self.takesOneRequest = method.kind == .unary || method.kind == .serverStreaming
        self.clientMaxFrameSize = clientMaxFrameSize
        self.connection = connection
        self.loop = loop
        self.receiveWindow = receiveWindow
        self.clientCredit = receiveWindow
        self.maxWindowMessages = maxWindowMessages
        self.maxWindowBytes = maxWindowBytes
        self.sendCredit = min(sendWindow, maxWindowMessages)
        let streamsResponses = method.kind == .serverStreaming || method.kind == .bidirectionalStreaming
        self.unacknowledgedSizes = streamsResponses ? CircularBuffer(initialCapacity: 64) : nil
        self.startedAt = .now
    }

    // MARK: Frames from the client (on the loop)

    /// A request message arrived; a message the call cannot take fails the call.
    func receive(_ message: ByteBuffer) {
        loop.preconditionInEventLoop()
        guard !isFinished else { return }
        requestsReceived += 1
        clientCredit -= 1
        if clientCredit < 0 {
            finish(RPCError(.resourceExhausted, "the client sent more messages than its window allows"))
            return
        }
        if requestsClosed {
            finish(RPCError(.invalidArgument, "a request message arrived after CLOSE_SEND"))
            return
        }
        if takesOneRequest && requestsReceived > 1 {
            finish(RPCError(.invalidArgument, "\(path) takes exactly one request message"))
            return
        }
        if let waiter = requestWaiter {
            requestWaiter = nil
            consumed()
            waiter.resume(returning: message)
        } else {
            requests.append(message)
        }
    }

    /// The client will send no more request messages.
    func receiveCloseSend() {
        loop.preconditionInEventLoop()
        requestsClosed = true
        if let waiter = requestWaiter {
            requestWaiter = nil
            waiter.resume(returning: nil)
        }
    }

    /// The client granted `count` more response messages: the oldest `count` unacknowledged
    /// ones are acknowledged, and the credit grows, up to `maxWindowMessages` (so no sequence of
    /// grants can overflow it).
    func grant(_ count: Int) {
        loop.preconditionInEventLoop()
        let (sum, overflow) = sendCredit.addingReportingOverflow(count)
        sendCredit = overflow ? maxWindowMessages : min(sum, maxWindowMessages)
        if unacknowledgedSizes != nil {
            for _ in 0..<min(count, unacknowledgedSizes!.count) {
                unacknowledgedBytes -= unacknowledgedSizes!.removeFirst()
            }
        }
        if windowAllowsSending { retrySend() }
    }

    /// The connection's write buffer drained below its limit.
    func writeBufferDrained() {
        loop.preconditionInEventLoop()
        waitsForWriteBuffer = false
        retrySend()
    }

    private func retrySend() {
        guard let waiter = sendWaiter else { return }
        sendWaiter = nil
        waiter(.success(()))
    }

    // MARK: Handler side

    func nextRequestMessage() async throws -> ByteBuffer? {
        if loop.inEventLoop, let ready = try takeRequest() { return ready.message }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                loop.execute {
                    do {
                        if let ready = try self.takeRequest() {
                            continuation.resume(returning: ready.message)
                        } else {
                            self.requestWaiter = continuation
                        }
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            loop.execute { self.failWaiters(CancellationError()) }
        }
    }

    /// What the handler gets without waiting: a message, or the end of the requests (nil).
    private struct Ready {
        var message: ByteBuffer?
    }

    /// A buffered message or the end of the requests; nil when the handler must wait.
    private func takeRequest() throws -> Ready? {
        if let failure { throw failure }
        if let message = requests.popFirst() {
            consumed()
            return Ready(message: message)
        }
        if requestsClosed { return Ready(message: nil) }
        if Task.isCancelled { throw CancellationError() }
        return nil
    }

    /// Grants the client more messages once it has used half its window (or
    /// `RPCFlowControl.messagesPerGrant`, for a large window), in one frame.
    private func consumed() {
        consumedSinceGrant += 1
        if consumedSinceGrant * 2 >= receiveWindow || consumedSinceGrant >= RPCFlowControl.messagesPerGrant {
            let grant = consumedSinceGrant
            consumedSinceGrant = 0
            clientCredit += grant
            connection?.sendWindowUpdate(streamID: streamID, messages: grant)
        }
    }

    func sendResponseMessage(_ message: ByteBuffer) async throws {
        if loop.inEventLoop, try trySend(message) == nil { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.execute { self.sendWhenAllowed(message, continuation) }
            }
        } onCancel: {
            loop.execute { self.failWaiters(CancellationError()) }
        }
    }

    private func sendWhenAllowed(_ message: ByteBuffer, _ continuation: CheckedContinuation<Void, any Error>) {
        let blocker: SendBlocker
        do {
            guard let reason = try trySend(message) else {
                continuation.resume()
                return
            }
            blocker = reason
        } catch {
            continuation.resume(throwing: error)
            return
        }
        // Wait for the client's WINDOW_UPDATE or for the write buffer to drain, then try again.
        sendWaiter = { result in
            switch result {
            case .success: self.sendWhenAllowed(message, continuation)
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
        if blocker == .writeBuffer, !waitsForWriteBuffer {
            waitsForWriteBuffer = true
            connection?.retryWhenDrained(self)
        }
    }

    /// What holds a response back.
    private enum SendBlocker {
        /// The client's window (or the server's cap on it) is used up: wait for WINDOW_UPDATE.
        case window
        /// The connection has more unwritten bytes than its limit: wait until they drain.
        case writeBuffer
    }

    /// Sends now if the window and the connection's write buffer allow; otherwise says what the
    /// handler must wait for.
    private func trySend(_ message: ByteBuffer) throws -> SendBlocker? {
        if let failure { throw failure }
        guard !isFinished else { throw CancellationError() }
        guard message.readableBytes <= clientMaxFrameSize else {
            throw RPCError(
                .resourceExhausted,
                "a response of \(message.readableBytes) bytes exceeds the client's limit of \(clientMaxFrameSize) bytes"
            )
        }
        guard windowAllowsSending else { return .window }
        guard connection?.isWritable ?? true else { return .writeBuffer }
        sendCredit -= 1
        if unacknowledgedSizes != nil {
            unacknowledgedSizes!.append(message.readableBytes)
            unacknowledgedBytes += message.readableBytes
        }
        sendHeadersIfNeeded()
        connection?.write(RPCFrame(streamID: streamID, kind: .message, payload: message))
        return nil
    }

    /// The client's credit, and the byte cap once enough messages are unacknowledged that the
    /// client is bound to grant some back (`RPCFlowControl.messagesPerGrant`).
    private var windowAllowsSending: Bool {
        guard sendCredit > 0 else { return false }
        guard let sizes = unacknowledgedSizes, sizes.count >= RPCFlowControl.messagesPerGrant else { return true }
        return unacknowledgedBytes < maxWindowBytes
    }

    /// HEADERS goes out once, before the first response, and only when it carries response
    /// metadata: a client takes its absence as none (PROTOCOL.md 6.2), and the common call saves
    /// a frame.
    private func sendHeadersIfNeeded() {
        guard !sentHeaders else { return }
        sentHeaders = true
        guard !initialMetadata.entries.isEmpty else { return }
        let payload = FittedEnvelope.responseHeaders(metadata: initialMetadata.wire, maxBytes: clientMaxFrameSize)
        connection?.write(RPCFrame(streamID: streamID, kind: .headers, payload: payload))
    }

    /// The trailers of a call that succeeded with no trailing metadata, the common case,
    /// encoded once.
    private static let okTrailers: ByteBuffer = {
        var trailers = Baton_Rpc_V1_Trailers()
        trailers.status = RPCError(.ok, "").status
        return encodeEnvelope(trailers)
    }()

    func setInitialMetadata(_ metadata: RPCMetadata) {
        onLoop { self.initialMetadata = metadata }
    }

    func setTrailingMetadata(_ metadata: RPCMetadata) {
        onLoop { self.trailingMetadata = metadata }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.inEventLoop { body() } else { loop.execute(body) }
    }

    // MARK: Ending

    /// Ends the call with `error`'s status (nil for OK), sending the trailers.
    func finish(_ error: RPCError?) {
        loop.preconditionInEventLoop()
        guard !isFinished else { return }
        sendHeadersIfNeeded()
        isFinished = true
        let payload: ByteBuffer
        if error == nil && trailingMetadata.entries.isEmpty {
            payload = Self.okTrailers
        } else {
            payload = FittedEnvelope.trailers(
                status: (error ?? RPCError(.ok, "")).status,
                metadata: (error.map { $0.metadata.entries.isEmpty ? trailingMetadata : $0.metadata }
                    ?? trailingMetadata).wire,
                maxBytes: clientMaxFrameSize
            )
        }
        connection?.write(RPCFrame(streamID: streamID, kind: .trailers, payload: payload))
        end(code: error?.code ?? .ok)
    }

    /// Ends the call without trailers: the client cancelled it or the connection is gone.
    func abandon(code: RPCError.Code) {
        loop.preconditionInEventLoop()
        guard !isFinished else { return }
        isFinished = true
        end(code: code)
    }

    private func end(code: RPCError.Code) {
        deadlineTimer?.cancel()
        deadlineTimer = nil
        task?.cancel()
        failWaiters(CancellationError())
        connection?.callEnded(self, code: code)
        connection = nil
    }

    private func failWaiters(_ error: any Error) {
        if failure == nil, isFinished { failure = error }
        if let waiter = requestWaiter {
            requestWaiter = nil
            waiter.resume(throwing: error)
        }
        if let waiter = sendWaiter {
            sendWaiter = nil
            waiter(.failure(error))
        }
    }
}
