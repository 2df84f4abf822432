import BatonProtos
import NIOCore

/// One call on the server: performs what its `StateMachine` decides (wakes the handler, sends,
/// grants credit) through its wire (`ServerCallTransport`), and owns the handler's task and
/// deadline. Knows nothing of frames. Confined to the connection's event loop; async entry points
/// called from elsewhere hop there first.
final class ServerCall: @unchecked Sendable {
    // All mutable state is touched only on `loop` (asserted), hence `@unchecked Sendable`.
    let streamID: UInt32
    let loop: any EventLoop
    /// The handler streams until cancelled (an event feed): a shutdown ends it at once instead
    /// of waiting out the grace period, and the client resumes elsewhere or after a restart.
    let endsOnShutdown: Bool
    private let startedAt: ContinuousClock.Instant
    private weak var transport: (any ServerCallTransport)?
    private let metrics: RPCServerMetrics.Method

    private var state: StateMachine
    private var requestWaiter: CheckedContinuation<ByteBuffer?, any Error>?
    /// What to do when the send may be retried (success) or the call ends (failure).
    private var sendWaiter: ((Result<Void, any Error>) -> Void)?

    private var handler = HandlerPhase.starting
    var deadlineTimer: Scheduled<Void>?

    init(
        streamID: UInt32,
        method: RPCMethodHandler,
        transport: any ServerCallTransport,
        loop: any EventLoop,
        flowControl: RPCFlowControl,
        clientMaxMessageBytes: Int,
        metrics: RPCServerMetrics.Method
    ) {
        self.streamID = streamID
        self.endsOnShutdown = method.endsOnShutdown
        self.transport = transport
        self.loop = loop
        self.metrics = metrics
        self.state = StateMachine(
            path: method.path,
            kind: method.kind,
            flowControl: flowControl,
            clientMaxMessageBytes: clientMaxMessageBytes
        )
        self.startedAt = .now
    }

    /// Where the handler's task is, so that a call ending cancels a handler still running and
    /// only such a one (cancelling a task costs a lock).
    private enum HandlerPhase {
        /// Not started, or running the part before its first suspension (`Task.immediate`).
        case starting
        case running(Task<Void, Never>)
        case returned
    }

    /// False until the call ends (trailers sent, or abandoned).
    var hasEnded: Bool { state.hasEnded }

    /// The handler's task was created; it may already have returned, or ended the call.
    func handlerStarted(_ task: Task<Void, Never>) {
        loop.preconditionInEventLoop()
        guard case .starting = handler else { return }
        handler = .running(task)
        if state.hasEnded { task.cancel() }
    }

    /// The handler returned: the call ends with its outcome (nil for OK) unless it already ended.
    func handlerReturned(_ outcome: RPCError?) {
        loop.preconditionInEventLoop()
        handler = .returned
        finish(outcome)
    }

    // MARK: From the client, through the wire (on the loop)

    /// A request message arrived; a message the call cannot take fails the call.
    func receive(_ message: ByteBuffer) {
        loop.preconditionInEventLoop()
        switch state.receivedMessage(message) {
        case .none:
            break
        case .resumeHandler(let message, let grant):
            grantClient(grant)
            resumeRequestWaiter(with: .success(message))
        case .fail(let error):
            finish(error)
        }
    }

    /// The client will send no more request messages.
    func receiveCloseSend() {
        loop.preconditionInEventLoop()
        if state.receivedCloseSend() { resumeRequestWaiter(with: .success(nil)) }
    }

    /// The client granted `count` more response messages.
    func grant(_ count: Int) {
        loop.preconditionInEventLoop()
        if state.granted(count) { retrySend() }
    }

    /// The connection's write buffer drained below its limit.
    func writeBufferDrained() {
        loop.preconditionInEventLoop()
        if state.writeBufferDrained() { retrySend() }
    }

    private func retrySend() {
        guard let waiter = sendWaiter else { return }
        sendWaiter = nil
        waiter(.success(()))
    }

    // MARK: Handler side

    func nextRequestMessage() async throws -> ByteBuffer? {
        let onLoop = loop.inEventLoop
        if onLoop, let ready = try takeRequest() { return ready.message }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                guard !onLoop else {
                    // The state waits since `takeRequest` above, and nothing else ran on the loop
                    // since: a message arriving later must find the waiter.
                    self.requestWaiter = continuation
                    return
                }
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
            loop.execute { self.handlerCancelled() }
        }
    }

    /// What the handler gets without waiting: a message, or the end of the requests (nil).
    private struct Ready {
        var message: ByteBuffer?
    }

    /// A buffered message or the end of the requests; nil when the handler must wait.
    private func takeRequest() throws -> Ready? {
        switch state.nextRequest(taskIsCancelled: Task.isCancelled) {
        case .message(let message, let grant):
            grantClient(grant)
            return Ready(message: message)
        case .end:
            return Ready(message: nil)
        case .wait:
            return nil
        case .cancelled:
            throw CancellationError()
        }
    }

    private func grantClient(_ grant: Int?) {
        guard let grant else { return }
        transport?.grantRequestMessages(grant, streamID: streamID)
    }

    /// Sends a typed response, packed straight into the wire's outbound bytes when it may go at
    /// once; one that must wait is packed into a buffer of its own first.
    func sendResponseMessage(_ message: ProtoPackable) async throws {
        if loop.inEventLoop, try trySend(message) { return }
        try await sendResponseMessage(ByteBuffer(packing: message))
    }

    func sendResponseMessage(_ message: ByteBuffer) async throws {
        if loop.inEventLoop, try trySend(message) { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.execute { self.sendWhenAllowed(message, continuation) }
            }
        } onCancel: {
            loop.execute { self.handlerCancelled() }
        }
    }

    private func sendWhenAllowed(_ message: ByteBuffer, _ continuation: CheckedContinuation<Void, any Error>) {
        do {
            if try trySend(message) {
                continuation.resume()
                return
            }
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
    }

    /// Sends now if the window and the connection's write buffer allow; false when the handler
    /// must wait.
    private func trySend(_ message: ByteBuffer) throws -> Bool {
        try trySend(byteCount: message.readableBytes) { transport?.sendResponseMessage(message, streamID: streamID) }
    }

    private func trySend(_ message: ProtoPackable) throws -> Bool {
        try trySend(byteCount: message.byteCount) { transport?.sendResponseMessage(message, streamID: streamID) }
    }

    private func trySend(byteCount: Int, _ send: () -> Void) throws -> Bool {
        switch state.sendMessage(bytes: byteCount, connectionIsWritable: transport?.isWritable ?? true) {
        case .send(let headers):
            if let headers { transport?.sendResponseHeaders(headers, streamID: streamID) }
            send()
            return true
        case .wait(_, let registerForDrain):
            if registerForDrain { transport?.retryWhenWritable(self) }
            return false
        case .fail(let error):
            throw error
        case .cancelled:
            throw CancellationError()
        }
    }

    func setInitialMetadata(_ metadata: RPCMetadata) {
        onLoop { self.state.setInitialMetadata(metadata) }
    }

    func setTrailingMetadata(_ metadata: RPCMetadata) {
        onLoop { self.state.setTrailingMetadata(metadata) }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.inEventLoop { body() } else { loop.execute(body) }
    }

    // MARK: Ending

    /// Ends the call with `error`'s status (nil for OK), sending the trailers.
    func finish(_ error: RPCError?) {
        loop.preconditionInEventLoop()
        guard let ending = state.finish(error) else { return }
        if let headers = ending.headers { transport?.sendResponseHeaders(headers, streamID: streamID) }
        transport?.sendTrailers(error: ending.error, metadata: ending.trailingMetadata, streamID: streamID)
        end(code: ending.error?.code ?? .ok, handlerWasWaiting: ending.handlerWasWaiting)
    }

    /// Ends the call without trailers: the client cancelled it or the connection is gone.
    func abandon(code: RPCError.Code) {
        loop.preconditionInEventLoop()
        guard let handlerWasWaiting = state.abandon() else { return }
        end(code: code, handlerWasWaiting: handlerWasWaiting)
    }

    private func end(code: RPCError.Code, handlerWasWaiting: Bool) {
        deadlineTimer?.cancel()
        deadlineTimer = nil
        if case .running(let task) = handler { task.cancel() }
        if handlerWasWaiting { failWaiters() }
        metrics.callFinished(code: code, duration: .now - startedAt)
        transport?.callEnded(self)
        transport = nil
    }

    private func handlerCancelled() {
        if state.handlerCancelled() { failWaiters() }
    }

    private func failWaiters() {
        resumeRequestWaiter(with: .failure(CancellationError()))
        if let waiter = sendWaiter {
            sendWaiter = nil
            waiter(.failure(CancellationError()))
        }
    }

    private func resumeRequestWaiter(with result: Result<ByteBuffer?, any Error>) {
        guard let waiter = requestWaiter else { return }
        requestWaiter = nil
        waiter.resume(with: result)
    }
}
