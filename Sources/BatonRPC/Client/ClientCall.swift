import BatonProtos
import NIOCore

/// One call on the client side: performs what its `StateMachine` decides (wakes the caller,
/// writes frames, grants credit) and holds the caller's suspended waits. Confined to the
/// connection's event loop; async entry points hop there.
final class ClientCall: @unchecked Sendable {
    // All mutable state is touched only on `loop`, hence `@unchecked Sendable`.
    let streamID: UInt32
    let loop: any EventLoop
    private weak var connection: ClientConnectionHandler?

    private var state: StateMachine
    private var responseWaiter: CheckedContinuation<ByteBuffer?, any Error>?
    /// What to do when credit arrives (success) or the call ends (failure).
    private var sendWaiter: ((Result<Void, RPCError>) -> Void)?
    private var outcomeWaiters: [CheckedContinuation<RPCMetadata, any Error>] = []
    /// Set for unary calls: resumed once, at the end, so a unary call costs one hop to the
    /// event loop and one back.
    private var unaryWaiter: CheckedContinuation<(message: ByteBuffer, metadata: RPCMetadata), any Error>?
    var deadlineTimer: Scheduled<Void>?

    var initialMetadata: RPCMetadata? { state.initialMetadata }

    init(streamID: UInt32, loop: any EventLoop, connection: ClientConnectionHandler, receiveWindow: Int, sendWindow: Int) {
        self.streamID = streamID
        self.loop = loop
        self.connection = connection
        self.state = StateMachine(flowControl: RPCFlowControl(receiveWindow: receiveWindow, sendWindow: sendWindow))
    }

    // MARK: From the server (on the loop)

    func receiveHeaders(_ metadata: RPCMetadata) {
        state.receivedHeaders(metadata)
    }

    func receive(_ message: ByteBuffer) {
        switch state.receivedMessage(message) {
        case .none:
            break
        case .resumeReader(let message, let grant):
            grantServer(grant)
            let waiter = responseWaiter
            responseWaiter = nil
            waiter?.resume(returning: message)
        }
    }

    func grant(_ count: Int) {
        guard state.granted(count), let waiter = sendWaiter else { return }
        sendWaiter = nil
        waiter(.success(()))
    }

    /// The call ended: trailers arrived, the connection failed, or the caller gave up.
    func finish(_ result: Result<RPCMetadata, RPCError>) {
        guard let ending = state.finish(result) else { return }
        deadlineTimer?.cancel()
        connection?.callEnded(streamID)
        connection = nil
        if ending.readerWasWaiting, let waiter = responseWaiter {
            responseWaiter = nil
            switch result {
            case .success: waiter.resume(returning: nil)
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
        if let error = ending.failedSend, let waiter = sendWaiter {
            sendWaiter = nil
            waiter(.failure(error))
        }
        for waiter in outcomeWaiters { waiter.resume(with: result.mapError { $0 as any Error }) }
        outcomeWaiters.removeAll()
        if let answer = ending.unaryAnswer, let waiter = unaryWaiter {
            unaryWaiter = nil
            waiter.resume(with: answer.mapError { $0 as any Error })
        }
    }

    /// Makes this a unary call: `waiter` gets the response and the metadata (headers, then
    /// trailers) when the call ends, or its error.
    func collectUnaryResponse(_ waiter: CheckedContinuation<(message: ByteBuffer, metadata: RPCMetadata), any Error>) {
        state.collectUnaryResponse()
        unaryWaiter = waiter
    }

    // MARK: Caller side

    /// The next response message, or nil after a successful end; throws the call's error.
    func nextResponse() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                loop.execute {
                    switch self.state.nextResponse() {
                    case .message(let message, let grant):
                        self.grantServer(grant)
                        continuation.resume(returning: message)
                    case .end:
                        continuation.resume(returning: nil)
                    case .fail(let error):
                        continuation.resume(throwing: error)
                    case .wait:
                        self.responseWaiter = continuation
                    }
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// The final status: trailing metadata on success, the error otherwise.
    func status() async throws -> RPCMetadata {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RPCMetadata, any Error>) in
                loop.execute {
                    if let outcome = self.state.outcome {
                        continuation.resume(with: outcome.mapError { $0 as any Error })
                    } else {
                        self.outcomeWaiters.append(continuation)
                    }
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// Sends a request message, waiting for credit if the server's window is used up.
    func send(_ message: ByteBuffer) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.execute { self.sendWhenAllowed(message, continuation) }
            }
        } onCancel: {
            self.cancel()
        }
    }

    private func sendWhenAllowed(_ message: ByteBuffer, _ continuation: CheckedContinuation<Void, any Error>) {
        switch state.sendMessage(bytes: message.readableBytes, serverMaxFrameSize: connection?.serverMaxFrameSize) {
        case .send:
            connection?.write(RPCFrame(streamID: streamID, kind: .message, payload: message))
            continuation.resume()
        case .wait:
            // Out of credit: wait for the server's WINDOW_UPDATE, then try again.
            sendWaiter = { result in
                switch result {
                case .success: self.sendWhenAllowed(message, continuation)
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        case .fail(let error):
            continuation.resume(throwing: error)
        }
    }

    func closeSend() {
        loop.execute {
            guard self.state.outcome == nil else { return }
            self.connection?.write(RPCFrame(streamID: self.streamID, kind: .closeSend))
        }
    }

    /// Abandons the call: tells the server (CANCEL) and fails it locally with CANCELLED.
    func cancel(_ error: RPCError = RPCError(.cancelled, "the call was cancelled by the client")) {
        loop.execute {
            guard self.state.outcome == nil else { return }
            self.connection?.write(RPCFrame(streamID: self.streamID, kind: .cancel))
            self.finish(.failure(error))
        }
    }

    private func grantServer(_ grant: Int?) {
        guard let grant else { return }
        connection?.sendWindowUpdate(streamID: streamID, messages: grant)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
