import BatonProtos
import Logging
import NIOCore

/// Serves one connection: checks the preface, routes calls by full method name, enforces the
/// limits, and drains on shutdown. Lives on the connection's event loop; call handlers run as
/// tasks on that same loop (`EventLoopTaskExecutor`).
final class ServerConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    // Confined to the channel's event loop like every ChannelHandler; `@unchecked Sendable`
    // because calls hold a weak reference from their tasks and only touch it on the loop.
    typealias InboundIn = RPCInbound

    private enum State {
        case awaitingPreface
        case open
        case draining
        case closed
    }

    private let handlers: RunningHandlers
    private let router: RPCRouter
    private let configuration: RPCServerConfiguration
    private let peer: RPCPeer?
    private let logger: Logger
    private let metrics: RPCServerMetrics
    private let executor: EventLoopTaskExecutor

    private var context: ChannelHandlerContext?
    private var writer: FrameWriter?
    private var state = State.awaitingPreface
    private var calls: [UInt32: ServerCall] = [:]
    private var lastStreamID: UInt32 = 0
    /// Messages we may send per call before the client grants more (its SETTINGS may change it,
    /// up to `maxWindowMessages`).
    private var sendWindow = 64
    /// Calls whose handler waits for the write buffer to drain, retried in order when it does.
    private var callsAwaitingDrain: [ServerCall] = []
    /// The largest frame payload the client accepts (its SETTINGS may say): no frame we send is
    /// longer.
    private var clientMaxFrameSize = 4 << 20
    /// The client half-closed its side: no new calls; close once the open ones finish.
    private var inputClosed = false
    private var idleTimer: Scheduled<Void>?
    /// When the last call ended (or the connection opened): the idle timeout counts from here.
    private var idleSince = NIODeadline.now()
    private var graceTimer: Scheduled<Void>?

    init(
        router: RPCRouter,
        configuration: RPCServerConfiguration,
        peer: RPCPeer?,
        loop: any EventLoop,
        logger: Logger,
        metrics: RPCServerMetrics,
        handlers: RunningHandlers
    ) {
        self.router = router
        self.configuration = configuration
        self.peer = peer
        self.logger = logger
        self.metrics = metrics
        self.handlers = handlers
        self.executor = EventLoopTaskExecutor(loop: loop)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.writer = FrameWriter(
            context: context,
            handOverBytes: min(FrameWriter.defaultHandOverBytes, configuration.maxWriteBufferBytes / 2)
        )
    }

    func channelActive(context: ChannelHandlerContext) {
        writer?.writePreface()
        var settings = Baton_Rpc_V1_Settings()
        settings.maxFrameBytes = UInt32(clamping: configuration.maxFrameSize)
        settings.maxConcurrentCalls = UInt32(clamping: configuration.maxConcurrentCallsPerConnection)
        settings.initialWindowMessages = UInt32(clamping: configuration.receiveWindow)
        settings.idleTimeoutMillis = UInt32(min(Double(UInt32.max), max(0, configuration.idleTimeout / .milliseconds(1))))
        settings.agent = "batond/1"
        write(RPCFrame(streamID: 0, kind: .settings, payload: encodeEnvelope(settings)))
        armIdleTimer()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        for call in calls.values { call.abandon(code: .unavailable) }
        calls.removeAll()
        callsAwaitingDrain.removeAll()
        idleTimer?.cancel()
        graceTimer?.cancel()
        // The context holds this handler: keeping it would keep the whole closed channel alive.
        self.context = nil
        self.writer = nil
        context.fireChannelInactive()
    }

    /// The write buffer went over its limit (reads stop, sends wait) or drained below half of it.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let waiting = callsAwaitingDrain
            callsAwaitingDrain.removeAll(keepingCapacity: true)
            for call in waiting { call.writeBufferDrained() }
        }
        context.fireChannelWritabilityChanged()
    }

    /// The client shut down its sending side: it opens no more calls, but still reads the
    /// answers to those in flight; close once they are done.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent {
            inputClosed = true
            if calls.isEmpty { close() }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let protocolError = error as? RPCProtocolError {
            fail(protocolError)
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .preface(let version):
            guard version == RPCPreface.version else {
                goAway(
                    code: .failedPrecondition,
                    reason: "unsupported protocol version \(version); this server speaks \(RPCPreface.version)"
                )
                return
            }
            state = .open
        case .frame(let frame):
            guard state == .open || state == .draining else { return }
            do {
                try handle(frame)
            } catch {
                fail(error)
            }
        }
    }

    // MARK: Frames

    private func handle(_ frame: RPCFrame) throws(RPCProtocolError) {
        switch frame.kind {
        case .headers:
            try openCall(frame)
        case .message:
            try existingCall(frame)?.receive(frame.payload)
        case .closeSend:
            try existingCall(frame)?.receiveCloseSend()
        case .cancel:
            try existingCall(frame)?.abandon(code: .cancelled)
        case .windowUpdate:
            let update: Baton_Rpc_V1_WindowUpdate = try decodeEnvelope(frame)
            guard update.messages > 0 else { throw RPCProtocolError("WINDOW_UPDATE granting 0 messages") }
            try existingCall(frame)?.grant(Int(clamping: update.messages))
        case .ping:
            guard frame.payload.readableBytes == 8 else {
                throw RPCProtocolError("PING payload must be 8 bytes, got \(frame.payload.readableBytes)")
            }
            if frame.flags & RPCFrame.ackFlag == 0 {
                write(RPCFrame(streamID: 0, kind: .ping, flags: RPCFrame.ackFlag, payload: frame.payload))
            }
        case .settings:
            let settings: Baton_Rpc_V1_Settings = try decodeEnvelope(frame)
            if settings.initialWindowMessages > 0 {
                sendWindow = min(Int(clamping: settings.initialWindowMessages), configuration.maxWindowMessages)
            }
            if settings.maxFrameBytes > 0 {
                // Below it, not even a status code with a short message would always fit.
                guard settings.maxFrameBytes >= FittedEnvelope.minimumFrameBytes else {
                    throw RPCProtocolError(
                        "SETTINGS max_frame_bytes \(settings.maxFrameBytes) is below the minimum of \(FittedEnvelope.minimumFrameBytes)"
                    )
                }
                clientMaxFrameSize = Int(clamping: settings.maxFrameBytes)
            }
        case .goAway:
            break  // the client opens no more calls; those in flight finish as usual
        default:  // TRAILERS
            throw RPCProtocolError("\(frame.kind) frames are sent by servers only")
        }
    }

    /// The call a frame belongs to, nil when it already ended (frames may cross its trailers).
    private func existingCall(_ frame: RPCFrame) throws(RPCProtocolError) -> ServerCall? {
        if frame.streamID > lastStreamID {
            throw RPCProtocolError("\(frame.kind) on stream \(frame.streamID), which no HEADERS opened")
        }
        return calls[frame.streamID]
    }

    private func decodeEnvelope<Message: ProtoMessage>(_ frame: RPCFrame) throws(RPCProtocolError) -> Message {
        do {
            return try frame.payload.withUnsafeReadableBytes { raw in try Message(serializedBytes: raw) }
        } catch {
            throw RPCProtocolError("invalid \(frame.kind) payload: \(error)")
        }
    }

    private func openCall(_ frame: RPCFrame) throws(RPCProtocolError) {
        guard frame.streamID > lastStreamID else {
            throw RPCProtocolError("HEADERS on stream \(frame.streamID); stream ids must increase (last was \(lastStreamID))")
        }
        lastStreamID = frame.streamID
        let headers: Baton_Rpc_V1_CallHeaders
        do {
            headers = try frame.payload.withUnsafeReadableBytes { raw in try Baton_Rpc_V1_CallHeaders(serializedBytes: raw) }
        } catch {
            refuse(frame.streamID, RPCError(.invalidArgument, "invalid call headers: \(error)"))
            return
        }
        if state == .draining {
            refuse(frame.streamID, RPCError(.unavailable, "the server is shutting down; call another instance or retry"))
            return
        }
        if let problem = RPCMetadata.validationFailure(headers.metadata) {
            refuse(frame.streamID, RPCError(.invalidArgument, problem))
            return
        }
        guard calls.count < configuration.maxConcurrentCallsPerConnection else {
            refuse(
                frame.streamID,
                RPCError(.resourceExhausted, "more than \(configuration.maxConcurrentCallsPerConnection) calls in flight on this connection")
            )
            return
        }
        guard let method = router.handler(for: headers.method) else {
            refuse(frame.streamID, RPCError(.unimplemented, "unknown method \(headers.method)"))
            return
        }
        let loop = context!.eventLoop
        let call = ServerCall(
            streamID: frame.streamID,
            method: method,
            connection: self,
            loop: loop,
            receiveWindow: configuration.receiveWindow,
            sendWindow: sendWindow,
            maxWindowMessages: configuration.maxWindowMessages,
            maxWindowBytes: configuration.maxWindowBytes,
            clientMaxFrameSize: clientMaxFrameSize
        )
        calls[frame.streamID] = call
        metrics.callStarted()
        var deadline: ContinuousClock.Instant?
        if headers.timeoutMicros > 0 {
            let timeout = Duration.microseconds(Int64(clamping: headers.timeoutMicros))
            deadline = .now + timeout
            call.deadlineTimer = loop.scheduleTask(in: TimeAmount(clamping: timeout)) {
                call.finish(RPCError(.deadlineExceeded, "the call did not finish within its \(timeout) deadline"))
            }
        }
        let context = RPCServerContext(
            path: method.path,
            metadata: RPCMetadata(headers.metadata),
            deadline: deadline,
            peer: peer,
            streamID: frame.streamID,
            connectionLogger: logger
        )
        handlers.started()
        call.task = Task(executorPreference: executor) { [handlers] in
            await Self.run(method, call: call, context: context)
            handlers.finished()
        }
    }

    private static func run(_ method: RPCMethodHandler, call: ServerCall, context: RPCServerContext) async {
        let outcome: RPCError?
        do {
            try await method.body(RPCRequestStream(call: call), RPCResponseWriter(call: call), context)
            outcome = nil
        } catch let error as RPCError {
            outcome = error
        } catch is CancellationError {
            outcome = RPCError(.cancelled, "the call was cancelled")
        } catch let failure as EncodingFailure {
            context.logger.error("handler response failed to encode", metadata: ["error": "\(failure)"])
            outcome = RPCError(.internal, "internal error")
        } catch {
            // Internals stay in the log; the caller learns only that it failed.
            context.logger.error("handler failed", metadata: ["error": "\(error)"])
            outcome = RPCError(.internal, "internal error")
        }
        if call.loop.inEventLoop {
            call.finish(outcome)
        } else {
            call.loop.execute { call.finish(outcome) }
        }
    }

    /// Answers a call that never started with trailers only.
    private func refuse(_ streamID: UInt32, _ error: RPCError) {
        let payload = FittedEnvelope.trailers(status: error.status, metadata: [], maxBytes: clientMaxFrameSize)
        write(RPCFrame(streamID: streamID, kind: .trailers, payload: payload))
        metrics.callFinished(path: "unrouted", code: error.code, duration: .zero)
    }

    // MARK: Called by calls

    func callEnded(_ call: ServerCall, code: RPCError.Code) {
        calls[call.streamID] = nil
        metrics.callFinished(path: call.path, code: code, duration: .now - call.startedAt)
        if calls.isEmpty {
            if state == .draining || inputClosed {
                close()
            } else {
                idleSince = .now()
                if idleTimer == nil { armIdleTimer() }
            }
        }
    }

    func sendWindowUpdate(streamID: UInt32, messages: Int) {
        var update = Baton_Rpc_V1_WindowUpdate()
        update.messages = UInt32(clamping: messages)
        write(RPCFrame(streamID: streamID, kind: .windowUpdate, payload: encodeEnvelope(update)))
    }

    func write(_ frame: RPCFrame) {
        guard state != .closed else { return }
        writer?.write(frame)
    }

    /// False while the connection holds more unwritten bytes than `maxWriteBufferBytes`.
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Retries `call`'s waiting send once the write buffer has drained.
    func retryWhenDrained(_ call: ServerCall) {
        callsAwaitingDrain.append(call)
    }

    // MARK: Connection lifecycle

    /// Graceful shutdown: refuse new calls, let those in flight finish within the grace period.
    func drain() {
        guard state == .open || state == .awaitingPreface else { return }
        sendGoAway(code: .unavailable, reason: "the server is shutting down")
        state = .draining
        for call in calls.values where call.endsOnShutdown {
            call.finish(RPCError(.unavailable, "the server is shutting down; resume the stream after the last message received"))
        }
        guard state != .closed else { return }
        if calls.isEmpty {
            close()
            return
        }
        graceTimer = context?.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(clamping: configuration.shutdownGracePeriod)
        ) {
            for call in self.calls.values {
                call.finish(RPCError(.unavailable, "the server shut down before the call finished"))
            }
        }
    }

    private func fail(_ error: any Error) {
        logger.debug("protocol error; closing the connection", metadata: ["error": "\(error)"])
        goAway(code: .invalidArgument, reason: "protocol error: \(error)")
    }

    /// Sends a GOAWAY saying why, then closes.
    func goAway(code: RPCError.Code, reason: String) {
        guard state != .closed else { return }
        sendGoAway(code: code, reason: reason)
        for call in calls.values { call.abandon(code: code) }
        close()
    }

    private func sendGoAway(code: RPCError.Code, reason: String) {
        var goAway = Baton_Rpc_V1_GoAway()
        goAway.lastStreamID = lastStreamID
        goAway.code = .init(rawValue: code.rawValue)
        goAway.reason = reason
        write(RPCFrame(streamID: 0, kind: .goAway, payload: FittedEnvelope.goAway(goAway, maxBytes: clientMaxFrameSize)))
    }

    private func close() {
        guard let context, state != .closed else { return }
        state = .closed
        writer?.flush()
        context.close(promise: nil)
    }

    /// One timer per connection, not one per call: it is left running while calls come and go
    /// and, when it fires, closes the connection only if it has really been idle that long.
    private func armIdleTimer(after delay: TimeAmount? = nil) {
        guard let context else { return }
        idleTimer?.cancel()
        let timeout = TimeAmount(clamping: configuration.idleTimeout)
        guard timeout > .zero else { return }  // 0 turns the idle timeout off
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay ?? timeout) {
            self.idleTimer = nil
            guard self.calls.isEmpty else { return }  // the last call to end re-arms it
            let idleFor = NIODeadline.now() - self.idleSince
            if idleFor >= timeout {
                self.goAway(code: .ok, reason: "idle for \(self.configuration.idleTimeout)")
            } else {
                self.armIdleTimer(after: timeout - idleFor)
            }
        }
    }
}
