import NIOCore

extension ServerConnectionHandler {
    /// The protocol state of one server connection: the preface, the client's SETTINGS, stream
    /// ids, the calls in flight and their limit, half-close, idleness and drain. A value: each
    /// transition returns what the connection must do (refuse a call, close, send GOAWAY, arm a
    /// timer), and `ServerConnectionHandler` performs it. Generic over the call so that its tests
    /// need no socket and no handler.
    struct StateMachine<Call> {
        enum Phase: Equatable {
            case awaitingPreface
            case open
            /// GOAWAY sent for a graceful shutdown: calls in flight finish, new ones are refused.
            case draining
            case closed
        }

        private(set) var phase = Phase.awaitingPreface
        private var calls: [UInt32: Call] = [:]
        /// The highest stream id a HEADERS opened; ids must increase.
        private(set) var lastStreamID: UInt32 = 0
        /// The client half-closed its side: no new calls; close once the open ones finish.
        private var inputClosed = false
        /// When the last call ended (or the connection opened): the idle timeout counts from here.
        private var idleSince: NIODeadline
        private let idleTimeout: TimeAmount
        private let maxConcurrentCalls: Int
        private let maxWindowMessages: Int
        /// Messages we may send per call before the client grants more (its SETTINGS may change
        /// it, up to `maxWindowMessages`).
        private(set) var sendWindow = 64
        /// The largest frame payload the client accepts (its SETTINGS may say): no frame we send
        /// is longer.
        private(set) var clientMaxFrameSize = 4 << 20

        init(maxConcurrentCalls: Int, maxWindowMessages: Int, idleTimeout: TimeAmount, now: NIODeadline) {
            self.maxConcurrentCalls = maxConcurrentCalls
            self.maxWindowMessages = maxWindowMessages
            self.idleTimeout = idleTimeout
            self.idleSince = now
        }

        /// Every call in flight.
        var callsInFlight: [Call] { Array(calls.values) }

        // MARK: Preface and settings

        enum PrefaceAction: Equatable {
            case accept
            /// A version this server does not speak: GOAWAY saying so, then close.
            case goAway(RPCError.Code, reason: String)
        }

        mutating func receivedPreface(version: UInt16) -> PrefaceAction {
            guard version == RPCPreface.version else {
                return .goAway(
                    .failedPrecondition,
                    reason: "unsupported protocol version \(version); this server speaks \(RPCPreface.version)"
                )
            }
            if phase == .awaitingPreface { phase = .open }
            return .accept
        }

        /// Frames count only after a valid preface, and not once the connection is closed.
        var acceptsFrames: Bool { phase == .open || phase == .draining }

        /// The client's SETTINGS; a zero field keeps the current value.
        mutating func receivedSettings(initialWindowMessages: UInt32, maxFrameBytes: UInt32) throws(RPCProtocolError) {
            if maxFrameBytes > 0 {
                // Below it, not even a status code with a short message would always fit.
                guard maxFrameBytes >= FittedEnvelope.minimumFrameBytes else {
                    throw RPCProtocolError(
                        "SETTINGS max_frame_bytes \(maxFrameBytes) is below the minimum of \(FittedEnvelope.minimumFrameBytes)"
                    )
                }
                clientMaxFrameSize = Int(clamping: maxFrameBytes)
            }
            if initialWindowMessages > 0 {
                sendWindow = min(Int(clamping: initialWindowMessages), maxWindowMessages)
            }
        }

        // MARK: Calls

        /// A HEADERS frame opens `streamID`: ids must increase.
        mutating func receivedHeaders(streamID: UInt32) throws(RPCProtocolError) {
            guard streamID > lastStreamID else {
                throw RPCProtocolError(
                    "HEADERS on stream \(streamID); stream ids must increase (last was \(lastStreamID))"
                )
            }
            lastStreamID = streamID
        }

        /// Why a new call cannot start now (the server drains, or the connection has its limit of
        /// calls in flight), or nil.
        var refusal: RPCError? {
            if phase == .draining {
                return RPCError(.unavailable, "the server is shutting down; call another instance or retry")
            }
            guard calls.count < maxConcurrentCalls else {
                return RPCError(
                    .resourceExhausted,
                    "more than \(maxConcurrentCalls) calls in flight on this connection"
                )
            }
            return nil
        }

        /// The call opened on the stream its HEADERS named last.
        mutating func callStarted(_ call: Call) {
            calls[lastStreamID] = call
        }

        /// The call a frame belongs to; nil when it already ended (frames may cross its
        /// trailers). A stream no HEADERS opened breaks the protocol.
        func call(onStream streamID: UInt32, frame kind: RPCFrame.Kind) throws(RPCProtocolError) -> Call? {
            guard streamID <= lastStreamID else {
                throw RPCProtocolError("\(kind) on stream \(streamID), which no HEADERS opened")
            }
            return calls[streamID]
        }

        enum CallEndedAction: Equatable {
            case none
            /// The last call ended while draining or after the client's half-close.
            case close
            /// The last call ended: the connection is idle from now on.
            case armIdleTimer
        }

        mutating func callEnded(streamID: UInt32, now: NIODeadline) -> CallEndedAction {
            guard calls.removeValue(forKey: streamID) != nil, calls.isEmpty else { return .none }
            switch phase {
            case .draining:
                return .close
            case .open where inputClosed:
                return .close
            case .open:
                idleSince = now
                return .armIdleTimer
            case .awaitingPreface, .closed:
                return .none
            }
        }

        /// The client shut down its sending side; true when the connection should close now.
        mutating func receivedInputClosed() -> Bool {
            inputClosed = true
            return calls.isEmpty && phase != .closed
        }

        // MARK: Idleness

        enum IdleTimerAction: Equatable {
            case none
            /// Idle for the whole timeout: GOAWAY (OK), then close.
            case goAway
            /// A call came and went since the timer was armed: look again after this long.
            case rearm(after: TimeAmount)
        }

        /// The idle timer fired at `now`. One timer serves the connection, not one per call: it
        /// keeps running while calls come and go, and closes only a connection really idle that long.
        func idleTimerFired(now: NIODeadline) -> IdleTimerAction {
            guard calls.isEmpty, phase == .open || phase == .awaitingPreface else { return .none }
            let idleFor = now - idleSince
            return idleFor >= idleTimeout ? .goAway : .rearm(after: idleTimeout - idleFor)
        }

        // MARK: Drain and close

        /// A graceful shutdown: from now on new calls are refused. Returns the calls in flight, or
        /// nil when the connection is already draining or closed.
        mutating func beginDrain() -> [Call]? {
            guard phase == .open || phase == .awaitingPreface else { return nil }
            phase = .draining
            return callsInFlight
        }

        enum AfterDrainAction: Equatable {
            case none
            case close
            /// Calls still run: end them if they have not finished within the grace period.
            case startGraceTimer
        }

        /// What the drain does once the calls that end on shutdown have ended.
        func afterDrainStarted() -> AfterDrainAction {
            guard phase == .draining else { return .none }
            return calls.isEmpty ? .close : .startGraceTimer
        }

        /// The connection closes: returns the calls still in flight, to be abandoned, or nil when
        /// it was already closed.
        mutating func close() -> [Call]? {
            guard phase != .closed else { return nil }
            phase = .closed
            defer { calls.removeAll() }
            return callsInFlight
        }
    }
}
