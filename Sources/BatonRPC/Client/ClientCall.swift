import BatonProtos
import NIOCore

/// One call on the client side: the response messages as they arrive, the headers, the final
/// status, and the credit for sending request messages. Confined to the connection's event loop;
/// async entry points hop there.
final class ClientCall: @unchecked Sendable {
    // All mutable state is touched only on `loop`, hence `@unchecked Sendable`.
    let streamID: UInt32
    let loop: any EventLoop
    private weak var connection: ClientConnectionHandler?

    private var responses = CircularBuffer<ByteBuffer>()
    private var responseWaiter: CheckedContinuation<ByteBuffer?, any Error>?
    private var flowControl: RPCFlowControl
    /// What to do when credit arrives (success) or the call ends (failure).
    private var sendWaiter: ((Result<Void, RPCError>) -> Void)?

    private(set) var initialMetadata: RPCMetadata?
    private(set) var outcome: Result<RPCMetadata, RPCError>?
    private var outcomeWaiters: [CheckedContinuation<RPCMetadata, any Error>] = []
    var deadlineTimer: Scheduled<Void>?
    /// Set for unary calls: collects the one response and resumes once, at the end, so a unary
    /// call costs one hop to the event loop and one back.
    private var unaryWaiter: CheckedContinuation<(message: ByteBuffer, metadata: RPCMetadata), any Error>?
    private var unaryResponse: ByteBuffer?

    init(streamID: UInt32, loop: any EventLoop, connection: ClientConnectionHandler, receiveWindow: Int, sendWindow: Int) {
        self.streamID = streamID
        self.loop = loop
        self.connection = connection
        self.flowControl = RPCFlowControl(receiveWindow: receiveWindow, sendWindow: sendWindow)
    }

    // MARK: From the server (on the loop)

    func receiveHeaders(_ metadata: RPCMetadata) {
        initialMetadata = metadata
    }

    func receive(_ message: ByteBuffer) {
        guard outcome == nil else { return }
        // A server sends no HEADERS when it has no response metadata (PROTOCOL.md 6.2): a
        // message before any HEADERS means there is none.
        if initialMetadata == nil { initialMetadata = RPCMetadata() }
        if unaryWaiter != nil {
            if unaryResponse == nil { unaryResponse = message }
        } else if let waiter = responseWaiter {
            responseWaiter = nil
            consumed()
            waiter.resume(returning: message)
        } else {
            responses.append(message)
        }
    }

    func grant(_ count: Int) {
        if flowControl.granted(count), let waiter = sendWaiter {
            sendWaiter = nil
            waiter(.success(()))
        }
    }

    /// The call ended: trailers arrived, the connection failed, or the caller gave up.
    func finish(_ result: Result<RPCMetadata, RPCError>) {
        guard outcome == nil else { return }
        outcome = result
        deadlineTimer?.cancel()
        connection?.callEnded(streamID)
        connection = nil
        if let waiter = responseWaiter {
            responseWaiter = nil
            switch result {
            case .success: waiter.resume(returning: nil)
            case .failure(let error): waiter.resume(throwing: error)
            }
        }
        if let waiter = sendWaiter {
            sendWaiter = nil
            waiter(.failure(result.failure ?? RPCError(.failedPrecondition, "the call already ended")))
        }
        for waiter in outcomeWaiters { waiter.resume(with: result.mapError { $0 as any Error }) }
        outcomeWaiters.removeAll()
        if let waiter = unaryWaiter {
            unaryWaiter = nil
            switch result {
            case .success(let trailing):
                if let response = unaryResponse {
                    var metadata = initialMetadata ?? [:]
                    metadata.append(contentsOf: trailing)
                    waiter.resume(returning: (response, metadata))
                } else {
                    waiter.resume(throwing: RPCError(.internal, "the server ended a unary call without a response"))
                }
            case .failure(let error):
                waiter.resume(throwing: error)
            }
        }
    }

    /// Makes this a unary call: `waiter` gets the response and the metadata (headers, then
    /// trailers) when the call ends, or its error.
    func collectUnaryResponse(_ waiter: CheckedContinuation<(message: ByteBuffer, metadata: RPCMetadata), any Error>) {
        unaryWaiter = waiter
    }

    // MARK: Caller side

    /// The next response message, or nil after a successful end; throws the call's error.
    func nextResponse() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                loop.execute {
                    if let message = self.responses.popFirst() {
                        self.consumed()
                        continuation.resume(returning: message)
                    } else if let outcome = self.outcome {
                        switch outcome {
                        case .success: continuation.resume(returning: nil)
                        case .failure(let error): continuation.resume(throwing: error)
                        }
                    } else {
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
                    if let outcome = self.outcome {
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
        if let outcome {
            continuation.resume(throwing: outcome.failure ?? RPCError(.failedPrecondition, "the call already ended"))
        } else if let limit = connection?.serverMaxFrameSize, message.readableBytes > limit {
            continuation.resume(
                throwing: RPCError(.resourceExhausted, "a request of \(message.readableBytes) bytes exceeds the server's limit of \(limit) bytes")
            )
        } else if flowControl.allowsSending {
            flowControl.sentMessage(bytes: message.readableBytes)
            connection?.write(RPCFrame(streamID: streamID, kind: .message, payload: message))
            continuation.resume()
        } else {
            // Out of credit: wait for the server's WINDOW_UPDATE, then try again.
            sendWaiter = { result in
                switch result {
                case .success: self.sendWhenAllowed(message, continuation)
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        }
    }

    func closeSend() {
        loop.execute {
            guard self.outcome == nil else { return }
            self.connection?.write(RPCFrame(streamID: self.streamID, kind: .closeSend))
        }
    }

    /// Abandons the call: tells the server (CANCEL) and fails it locally with CANCELLED.
    func cancel(_ error: RPCError = RPCError(.cancelled, "the call was cancelled by the client")) {
        loop.execute {
            guard self.outcome == nil else { return }
            self.connection?.write(RPCFrame(streamID: self.streamID, kind: .cancel))
            self.finish(.failure(error))
        }
    }

    /// Grants the server the credit flow control returns, in one frame, while the call lasts.
    private func consumed() {
        if let grant = flowControl.consumedMessage(), outcome == nil {
            connection?.sendWindowUpdate(streamID: streamID, messages: grant)
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
