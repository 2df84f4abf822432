import BatonProtos
import NIOCore

extension ServerCall {
    /// The protocol state of one call on the server: its buffered request messages, the
    /// half-close, the one-request rule, flow control, response metadata and the end. A value:
    /// each transition returns what the call must do (wake its handler, send, grant, end), and
    /// `ServerCall` performs it. It knows nothing of frames, so any wire can drive it.
    struct StateMachine {
        private enum Phase {
            case active
            case finished
        }

        private let path: String
        /// Unary and server-streaming calls take exactly one request message.
        private let takesOneRequest: Bool
        /// The largest message the client accepts (its SETTINGS).
        private let clientMaxMessageBytes: Int
        private var phase = Phase.active
        private var requests = OneOrManyQueue<ByteBuffer>()
        private var requestsReceived = 0
        private var requestsClosed = false
        /// The handler is suspended waiting for a request message or the end of them.
        private var handlerAwaitsRequest = false
        /// The handler is suspended in a send, and why.
        private var blockedSend: SendBlocker?
        /// The waiting send is registered with the connection, to be retried when its write
        /// buffer drains.
        private var awaitsWriteBufferDrain = false
        private var flowControl: RPCFlowControl
        private var sentHeaders = false
        private var initialMetadata = RPCMetadata()
        private var trailingMetadata = RPCMetadata()

        init(
            path: String,
            kind: ProtoMethodKind,
            flowControl: RPCFlowControl,
            clientMaxMessageBytes: Int
        ) {
            self.path = path
            self.takesOneRequest = kind == .unary || kind == .serverStreaming
            self.flowControl = flowControl
            self.clientMaxMessageBytes = clientMaxMessageBytes
        }

        // MARK: Requests

        enum ReceiveMessageAction: Equatable {
            /// Buffered, or dropped because the call already ended.
            case none
            /// The waiting handler takes this message; grant the client the credit, if any.
            case resumeHandler(ByteBuffer, grant: Int?)
            /// The message breaks the protocol of the call: end it with this status.
            case fail(RPCError)
        }

        mutating func receivedMessage(_ message: ByteBuffer) -> ReceiveMessageAction {
            guard phase == .active else { return .none }
            requestsReceived += 1
            guard flowControl.receivedMessage() else {
                return .fail(RPCError(.resourceExhausted, "the client sent more messages than its window allows"))
            }
            if requestsClosed {
                return .fail(RPCError(.invalidArgument, "a request message arrived after CLOSE_SEND"))
            }
            if takesOneRequest && requestsReceived > 1 {
                return .fail(RPCError(.invalidArgument, "\(path) takes exactly one request message"))
            }
            guard handlerAwaitsRequest else {
                requests.append(message)
                return .none
            }
            handlerAwaitsRequest = false
            return .resumeHandler(message, grant: flowControl.consumedMessage())
        }

        /// The client will send no more request messages; true when the waiting handler must
        /// learn it now.
        mutating func receivedCloseSend() -> Bool {
            requestsClosed = true
            guard handlerAwaitsRequest else { return false }
            handlerAwaitsRequest = false
            return true
        }

        enum NextRequestAction: Equatable {
            /// Hand the handler this message; grant the client the credit, if any.
            case message(ByteBuffer, grant: Int?)
            /// The requests ended (CLOSE_SEND).
            case end
            /// Nothing yet: the handler waits until `receivedMessage` or `receivedCloseSend` wakes it.
            case wait
            /// The call ended or the handler's task is cancelled.
            case cancelled
        }

        /// The handler asks for the next request message.
        mutating func nextRequest(taskIsCancelled: Bool) -> NextRequestAction {
            guard phase == .active else { return .cancelled }
            if let message = requests.popFirst() {
                return .message(message, grant: flowControl.consumedMessage())
            }
            if requestsClosed { return .end }
            if taskIsCancelled { return .cancelled }
            handlerAwaitsRequest = true
            return .wait
        }

        // MARK: Responses

        /// What holds a response back.
        enum SendBlocker: Equatable {
            /// The client's window (or the server's cap on it) is used up: wait for WINDOW_UPDATE.
            case window
            /// The connection has more unwritten bytes than its limit: wait until they drain.
            case writeBuffer
        }

        enum SendAction: Equatable {
            /// Send the message now, after HEADERS carrying this metadata when it is not nil.
            case send(headers: RPCMetadata?)
            /// Wait; `registerForDrain` says the connection must be asked to retry the send once
            /// its write buffer drains.
            case wait(SendBlocker, registerForDrain: Bool)
            /// The message is larger than the client accepts.
            case fail(RPCError)
            /// The call ended or the handler's task is cancelled.
            case cancelled
        }

        /// The handler sends a response message of `bytes` bytes.
        mutating func sendMessage(bytes: Int, connectionIsWritable: Bool) -> SendAction {
            guard phase == .active else { return .cancelled }
            guard bytes <= clientMaxMessageBytes else {
                return .fail(
                    RPCError(
                        .resourceExhausted,
                        "a response of \(bytes) bytes exceeds the client's limit of \(clientMaxMessageBytes) bytes"
                    )
                )
            }
            guard flowControl.allowsSending else {
                blockedSend = .window
                return .wait(.window, registerForDrain: false)
            }
            guard connectionIsWritable else {
                blockedSend = .writeBuffer
                let register = !awaitsWriteBufferDrain
                awaitsWriteBufferDrain = true
                return .wait(.writeBuffer, registerForDrain: register)
            }
            blockedSend = nil
            flowControl.sentMessage(bytes: bytes)
            return .send(headers: takeHeaders())
        }

        /// The client granted `count` more response messages; true when the waiting send should
        /// be retried.
        mutating func granted(_ count: Int) -> Bool {
            flowControl.granted(count) && blockedSend != nil
        }

        /// The connection's write buffer drained below its limit; true when the waiting send
        /// should be retried.
        mutating func writeBufferDrained() -> Bool {
            awaitsWriteBufferDrain = false
            return blockedSend != nil
        }

        mutating func setInitialMetadata(_ metadata: RPCMetadata) {
            initialMetadata = metadata
        }

        mutating func setTrailingMetadata(_ metadata: RPCMetadata) {
            trailingMetadata = metadata
        }

        /// HEADERS goes out once, before the first response, and only when it carries response
        /// metadata: a client takes its absence as none (PROTOCOL.md 6.2), and the common call
        /// saves a frame.
        private mutating func takeHeaders() -> RPCMetadata? {
            guard !sentHeaders else { return nil }
            sentHeaders = true
            return initialMetadata.entries.isEmpty ? nil : initialMetadata
        }

        // MARK: Ending

        /// What ends a call that has not ended yet.
        struct Ending: Equatable {
            /// Response metadata still to send before the trailers (the handler sent no message).
            var headers: RPCMetadata?
            /// The call's status: nil for OK.
            var error: RPCError?
            /// The metadata of the trailers: the error's own, else the handler's.
            var trailingMetadata: RPCMetadata
            /// The handler was waiting for a request or a send: fail that wait.
            var handlerWasWaiting: Bool
        }

        /// The call ends with `error`'s status (nil for OK); nil when it already ended.
        mutating func finish(_ error: RPCError?) -> Ending? {
            guard phase == .active else { return nil }
            let headers = takeHeaders()
            let metadata =
                error.map { $0.metadata.entries.isEmpty ? trailingMetadata : $0.metadata } ?? trailingMetadata
            return Ending(headers: headers, error: error, trailingMetadata: metadata, handlerWasWaiting: end())
        }

        /// The call ends without trailers (the client cancelled it, or the connection is gone).
        /// Nil when it already ended, else whether the handler was waiting.
        mutating func abandon() -> Bool? {
            guard phase == .active else { return nil }
            return end()
        }

        var hasEnded: Bool { phase == .finished }

        /// The handler's task was cancelled: whether it was waiting (its wait fails).
        mutating func handlerCancelled() -> Bool {
            let wasWaiting = handlerAwaitsRequest || blockedSend != nil
            handlerAwaitsRequest = false
            blockedSend = nil
            return wasWaiting
        }

        private mutating func end() -> Bool {
            phase = .finished
            requests.removeAll()
            return handlerCancelled()
        }
    }
}
