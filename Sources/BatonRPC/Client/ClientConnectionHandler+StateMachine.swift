extension ClientConnectionHandler {
    /// The protocol state of one client connection: stream ids, the calls in flight, the
    /// server's SETTINGS, and why no new call may start (GOAWAY, a failure). A value: each
    /// transition returns what the connection must do (fail these calls, refuse that one), and
    /// `ClientConnectionHandler` performs it. Generic over the call so that its tests need no
    /// socket.
    struct StateMachine<Call> {
        private var calls: [UInt32: Call] = [:]
        private var nextStreamID: UInt32 = 1
        /// Why no new call can start (GOAWAY received, or the connection failed), once that happens.
        private(set) var refusal: RPCError?
        /// Messages we may send per call before the server grants more (its SETTINGS).
        private(set) var sendWindow = 64
        /// The largest MESSAGE payload the server accepts (its SETTINGS).
        private(set) var serverMaxFrameSize = 4 << 20

        /// The server's preface: an error when it speaks another version.
        func receivedPreface(version: UInt16) -> RPCError? {
            guard version != RPCPreface.version else { return nil }
            return RPCError(
                .unavailable,
                "the server speaks protocol version \(version), this client \(RPCPreface.version)"
            )
        }

        /// The server's SETTINGS; a zero field keeps the current value.
        mutating func receivedSettings(initialWindowMessages: UInt32, maxFrameBytes: UInt32) {
            if initialWindowMessages > 0 { sendWindow = Int(clamping: initialWindowMessages) }
            if maxFrameBytes > 0 { serverMaxFrameSize = Int(clamping: maxFrameBytes) }
        }

        /// The stream id for a new call, or why none may start.
        mutating func openStream() -> Result<UInt32, RPCError> {
            if let refusal { return .failure(refusal) }
            guard nextStreamID < UInt32.max else {
                return .failure(RPCError(.unavailable, "this connection has used all its stream ids; connect again"))
            }
            defer { nextStreamID += 1 }
            return .success(nextStreamID)
        }

        mutating func callOpened(_ call: Call, streamID: UInt32) {
            calls[streamID] = call
        }

        func call(onStream streamID: UInt32) -> Call? { calls[streamID] }

        mutating func callEnded(streamID: UInt32) {
            calls[streamID] = nil
        }

        /// What a GOAWAY does to the calls in flight.
        struct GoAwayAction {
            /// The calls the server never saw: fail them now with `error`, safe to retry elsewhere.
            var failing: [Call]
            /// Also what new calls are refused with from now on.
            var error: RPCError
        }

        /// The server's GOAWAY: no new call starts, and the calls above `lastStreamID` fail; the
        /// others finish.
        mutating func receivedGoAway(lastStreamID: UInt32, code: RPCError.Code, reason: String) -> GoAwayAction {
            let error = RPCError(
                code == .ok ? .unavailable : code,
                reason.isEmpty ? "the server closed the connection" : reason
            )
            refusal = error
            let unseen = calls.keys.filter { $0 > lastStreamID }
            return GoAwayAction(failing: unseen.compactMap { calls.removeValue(forKey: $0) }, error: error)
        }

        /// The connection failed or closed: every call in flight fails, and new ones are refused
        /// with the first reason the connection learned. Returns the calls and the error for them.
        mutating func failed(_ error: RPCError) -> [Call] {
            if refusal == nil { refusal = error }
            defer { calls.removeAll() }
            return Array(calls.values)
        }
    }
}
