import NIOCore

extension ClientCall {
    /// The protocol state of one call on the client: the response messages as they arrive, the
    /// response metadata, the outcome, flow control both ways, and the one response a unary call
    /// collects. A value: each transition returns what the call must do (wake the reader, send,
    /// grant, end), and `ClientCall` performs it.
    struct StateMachine {
        private var responses = OneOrManyQueue<ByteBuffer>()
        private(set) var initialMetadata: RPCMetadata?
        /// Trailing metadata on success, the error otherwise, once the call ended.
        private(set) var outcome: Result<RPCMetadata, RPCError>?
        private var flowControl: RPCFlowControl
        /// The caller is suspended waiting for a response message or the end.
        private var readerWaits = false
        /// The caller is suspended in a send, waiting for credit.
        private var senderWaits = false
        /// A unary call keeps its one response until the call ends, and is answered once then.
        private var collectsUnaryResponse = false
        private var unaryResponse: ByteBuffer?

        init(flowControl: RPCFlowControl) {
            self.flowControl = flowControl
        }

        // MARK: From the server

        mutating func receivedHeaders(_ metadata: RPCMetadata) {
            initialMetadata = metadata
        }

        enum ReceiveMessageAction: Equatable {
            /// Buffered, kept as the unary response, or dropped because the call ended.
            case none
            /// The waiting reader takes this message; grant the server the credit, if any.
            case resumeReader(ByteBuffer, grant: Int?)
        }

        mutating func receivedMessage(_ message: ByteBuffer) -> ReceiveMessageAction {
            guard outcome == nil else { return .none }
            // A server sends no HEADERS when it has no response metadata (PROTOCOL.md 6.2): a
            // message before any HEADERS means there is none.
            if initialMetadata == nil { initialMetadata = RPCMetadata() }
            if collectsUnaryResponse {
                if unaryResponse == nil { unaryResponse = message }
                return .none
            }
            guard readerWaits else {
                responses.append(message)
                return .none
            }
            readerWaits = false
            return .resumeReader(message, grant: consumedMessage())
        }

        /// The server granted `count` more request messages; true when the waiting send should
        /// be retried.
        mutating func granted(_ count: Int) -> Bool {
            guard flowControl.granted(count), senderWaits else { return false }
            senderWaits = false
            return true
        }

        // MARK: Caller side

        /// Makes this a unary call: the response is handed over with the outcome.
        mutating func collectUnaryResponse() {
            collectsUnaryResponse = true
        }

        enum NextResponseAction: Equatable {
            /// Hand the caller this message; grant the server the credit, if any.
            case message(ByteBuffer, grant: Int?)
            /// The call ended successfully after its last message.
            case end
            case fail(RPCError)
            /// Nothing yet: the caller waits until `receivedMessage` or `finish` wakes it.
            case wait
        }

        mutating func nextResponse() -> NextResponseAction {
            if let message = responses.popFirst() { return .message(message, grant: consumedMessage()) }
            switch outcome {
            case .success?: return .end
            case .failure(let error)?: return .fail(error)
            case nil:
                readerWaits = true
                return .wait
            }
        }

        /// Credit to grant the server for a consumed message; none once the call ended.
        private mutating func consumedMessage() -> Int? {
            let grant = flowControl.consumedMessage()
            return outcome == nil ? grant : nil
        }

        enum SendAction: Equatable {
            case send
            /// Out of credit: wait for the server's WINDOW_UPDATE (`granted`).
            case wait
            case fail(RPCError)
        }

        /// The caller sends a request of `bytes` bytes to a server accepting at most
        /// `serverMaxFrameSize` (nil: unknown, the connection is gone).
        mutating func sendMessage(bytes: Int, serverMaxFrameSize: Int?) -> SendAction {
            if let outcome { return .fail(Self.endedError(outcome)) }
            if let limit = serverMaxFrameSize, bytes > limit {
                return .fail(
                    RPCError(
                        .resourceExhausted,
                        "a request of \(bytes) bytes exceeds the server's limit of \(limit) bytes"
                    )
                )
            }
            guard flowControl.allowsSending else {
                senderWaits = true
                return .wait
            }
            flowControl.sentMessage(bytes: bytes)
            return .send
        }

        // MARK: Ending

        /// What ending the call does to its waiting caller.
        struct Ending {
            var readerWasWaiting: Bool
            /// The error a waiting send fails with, if a send waits.
            var failedSend: RPCError?
            /// A unary call's answer: its response and metadata (headers, then trailers), or why not.
            var unaryAnswer: Result<(message: ByteBuffer, metadata: RPCMetadata), RPCError>?
        }

        /// The call ended: trailers arrived, the connection failed, or the caller gave up. Nil when
        /// it had already ended.
        mutating func finish(_ result: Result<RPCMetadata, RPCError>) -> Ending? {
            guard outcome == nil else { return nil }
            outcome = result
            defer {
                readerWaits = false
                senderWaits = false
            }
            return Ending(
                readerWasWaiting: readerWaits,
                failedSend: senderWaits ? Self.endedError(result) : nil,
                unaryAnswer: collectsUnaryResponse ? unaryAnswer(result) : nil
            )
        }

        private func unaryAnswer(
            _ result: Result<RPCMetadata, RPCError>
        ) -> Result<(message: ByteBuffer, metadata: RPCMetadata), RPCError> {
            switch result {
            case .success(let trailing):
                guard let response = unaryResponse else {
                    return .failure(RPCError(.internal, "the server ended a unary call without a response"))
                }
                var metadata = initialMetadata ?? [:]
                metadata.append(contentsOf: trailing)
                return .success((response, metadata))
            case .failure(let error):
                return .failure(error)
            }
        }

        private static func endedError(_ outcome: Result<RPCMetadata, RPCError>) -> RPCError {
            outcome.failure ?? RPCError(.failedPrecondition, "the call already ended")
        }
    }
}
