import BatonProtos
import Logging
import NIOCore

/// Baton's frames for one connection: checks the preface, decodes the client's frames into call
/// events for the call core (`ServerCallCore`, `ServerCall`), encodes what the calls send
/// (`ServerCallTransport`), enforces the connection's limits, and drains on shutdown. Lives on
/// the connection's event loop; call handlers run as tasks on that same loop.
final class ServerConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    // Confined to the channel's event loop like every ChannelHandler; `@unchecked Sendable`
    // because calls hold a weak reference from their tasks and only touch it on the loop.
    typealias InboundIn = ByteBuffer

    private let configuration: RPCServerConfiguration
    private let logger: Logger
    private let core: ServerCallCore

    private var context: ChannelHandlerContext?
    /// Frames are parsed here, from each read's bytes, rather than by a decoder handler that
    /// fires a pipeline event (and boxes a value) per frame.
    private var decoder: RPCFrameDecoder
    /// The start of a frame the last read did not complete.
    private var unparsed: ByteBuffer?
    private var writer: FrameWriter?
    private var state: StateMachine<ServerCall>
    /// Calls whose handler waits for the write buffer to drain, retried in order when it does.
    private var callsAwaitingDrain: [ServerCall] = []
    private var idleTimer: Scheduled<Void>?
    private var graceTimer: Scheduled<Void>?

    /// Completes once the channel has closed and every handler it started has returned.
    var handlersFinished: EventLoopFuture<Void> { core.handlersFinished }

    init(
        router: RPCRouter,
        configuration: RPCServerConfiguration,
        peer: RPCPeer?,
        loop: any EventLoop,
        logger: Logger,
        metrics: RPCServerMetrics
    ) {
        self.configuration = configuration
        self.logger = logger
        self.decoder = RPCFrameDecoder(maxFrameSize: configuration.maxFrameSize)
        self.core = ServerCallCore(
            router: router,
            configuration: configuration,
            peer: peer,
            loop: loop,
            logger: logger,
            metrics: metrics
        )
        self.state = StateMachine(
            maxConcurrentCalls: configuration.maxConcurrentCallsPerConnection,
            maxWindowMessages: configuration.maxWindowMessages,
            idleTimeout: TimeAmount(clamping: configuration.idleTimeout),
            now: .now()
        )
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
        for call in state.close() ?? [] { call.abandon(code: .unavailable) }
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
        if case .inputClosed = event as? ChannelEvent, state.receivedInputClosed() {
            close()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state.phase != .closed else { return }
        // Once the read's frames are in, also after a protocol error (which ended its calls).
        defer { core.startHandlers() }
        var bytes = unwrapInboundIn(data)
        if var earlier = unparsed.take() {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        do {
            // A frame may close the connection (a protocol error, the last call of a drain):
            // what follows it is not read.
            while state.phase != .closed, let inbound = try decoder.decode(buffer: &bytes) {
                receive(inbound)
            }
        } catch {
            fail(error)
            return
        }
        if bytes.readableBytes > 0 {
            // Without the frames before it, or every read ending mid-frame would grow the buffer.
            bytes.discardReadBytes()
            unparsed = bytes
        }
    }

    private func receive(_ inbound: RPCInbound) {
        switch inbound {
        case .preface(let version):
            switch state.receivedPreface(version: version) {
            case .accept:
                break
            case .goAway(let code, let reason):
                goAway(code: code, reason: reason)
            }
        case .frame(let frame):
            guard state.acceptsFrames else { return }
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
            try state.call(onStream: frame.streamID, frame: frame.kind)?.receive(frame.payload)
        case .closeSend:
            try state.call(onStream: frame.streamID, frame: frame.kind)?.receiveCloseSend()
        case .cancel:
            try state.call(onStream: frame.streamID, frame: frame.kind)?.abandon(code: .cancelled)
        case .windowUpdate:
            let update: Baton_Rpc_V1_WindowUpdate = try decodeEnvelope(frame)
            guard update.messages > 0 else { throw RPCProtocolError("WINDOW_UPDATE granting 0 messages") }
            try state.call(onStream: frame.streamID, frame: frame.kind)?.grant(Int(clamping: update.messages))
        case .ping:
            guard frame.payload.readableBytes == 8 else {
                throw RPCProtocolError("PING payload must be 8 bytes, got \(frame.payload.readableBytes)")
            }
            if frame.flags & RPCFrame.ackFlag == 0 {
                write(RPCFrame(streamID: 0, kind: .ping, flags: RPCFrame.ackFlag, payload: frame.payload))
            }
        case .settings:
            let settings: Baton_Rpc_V1_Settings = try decodeEnvelope(frame)
            try state.receivedSettings(
                initialWindowMessages: settings.initialWindowMessages,
                maxFrameBytes: settings.maxFrameBytes
            )
        case .goAway:
            break  // the client opens no more calls; those in flight finish as usual
        default:  // TRAILERS
            throw RPCProtocolError("\(frame.kind) frames are sent by servers only")
        }
    }

    private func decodeEnvelope<Message: ProtoMessage>(_ frame: RPCFrame) throws(RPCProtocolError) -> Message {
        do {
            return try frame.payload.withUnsafeReadableBytes { raw in try Message(serializedBytes: raw) }
        } catch {
            throw RPCProtocolError("invalid \(frame.kind) payload: \(error)")
        }
    }

    private func openCall(_ frame: RPCFrame) throws(RPCProtocolError) {
        try state.receivedHeaders(streamID: frame.streamID)
        let headers: Baton_Rpc_V1_CallHeaders
        do {
            headers = try frame.payload.withUnsafeReadableBytes { raw in try Baton_Rpc_V1_CallHeaders(serializedBytes: raw) }
        } catch {
            refuse(frame.streamID, core.refused(RPCError(.invalidArgument, "invalid call headers: \(error)")))
            return
        }
        if let refusal = state.refusal {
            refuse(frame.streamID, core.refused(refusal))
            return
        }
        let head = ServerCallCore.Head(
            method: headers.method,
            metadata: headers.metadata,
            timeout: headers.timeoutMicros > 0 ? Duration.microseconds(Int64(clamping: headers.timeoutMicros)) : nil
        )
        let limits = ServerCallCore.PeerLimits(window: state.sendWindow, maxMessageBytes: state.clientMaxFrameSize)
        switch core.startCall(head, streamID: frame.streamID, transport: self, peerLimits: limits) {
        case .success(let call):
            state.callStarted(call)
        case .failure(let refusal):
            refuse(frame.streamID, refusal)
        }
    }

    /// Answers a call that never started with trailers only.
    private func refuse(_ streamID: UInt32, _ error: RPCError) {
        let payload = FittedEnvelope.trailers(status: error.status, metadata: [], maxBytes: state.clientMaxFrameSize)
        write(RPCFrame(streamID: streamID, kind: .trailers, payload: payload))
    }

    /// The channel closed (its close future completed, also for a channel that never became
    /// active).
    func channelDidClose() {
        core.connectionDidClose()
    }

    private func write(_ frame: RPCFrame) {
        guard state.phase != .closed else { return }
        writer?.write(frame)
    }

    // MARK: Connection lifecycle

    /// Graceful shutdown: refuse new calls, let those in flight finish within the grace period.
    func drain() {
        guard let inFlight = state.beginDrain() else { return }
        sendGoAway(code: .unavailable, reason: "the server is shutting down")
        for call in inFlight where call.endsOnShutdown {
            call.finish(RPCError(.unavailable, "the server is shutting down; resume the stream after the last message received"))
        }
        switch state.afterDrainStarted() {
        case .none:
            break
        case .close:
            close()
        case .startGraceTimer:
            graceTimer = context?.eventLoop.assumeIsolated().scheduleTask(
                in: TimeAmount(clamping: configuration.shutdownGracePeriod)
            ) {
                for call in self.state.callsInFlight {
                    call.finish(RPCError(.unavailable, "the server shut down before the call finished"))
                }
            }
        }
    }

    private func fail(_ error: any Error) {
        logger.debug("protocol error; closing the connection", metadata: ["error": "\(error)"])
        goAway(code: .invalidArgument, reason: "protocol error: \(error)")
    }

    /// Sends a GOAWAY saying why, then closes.
    func goAway(code: RPCError.Code, reason: String) {
        guard state.phase != .closed else { return }
        sendGoAway(code: code, reason: reason)
        close(abandoningCallsWith: code)
    }

    private func sendGoAway(code: RPCError.Code, reason: String) {
        var goAway = Baton_Rpc_V1_GoAway()
        goAway.lastStreamID = state.lastStreamID
        goAway.code = .init(rawValue: code.rawValue)
        goAway.reason = reason
        write(
            RPCFrame(streamID: 0, kind: .goAway, payload: FittedEnvelope.goAway(goAway, maxBytes: state.clientMaxFrameSize))
        )
    }

    private func close(abandoningCallsWith code: RPCError.Code = .unavailable) {
        guard let context, let inFlight = state.close() else { return }
        for call in inFlight { call.abandon(code: code) }
        writer?.flush()
        context.close(promise: nil)
    }

    private func armIdleTimer(after delay: TimeAmount? = nil) {
        guard let context else { return }
        idleTimer?.cancel()
        let timeout = TimeAmount(clamping: configuration.idleTimeout)
        guard timeout > .zero else { return }  // 0 turns the idle timeout off
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay ?? timeout) {
            self.idleTimer = nil
            switch self.state.idleTimerFired(now: .now()) {
            case .none:
                break  // the last call to end re-arms it
            case .goAway:
                self.goAway(code: .ok, reason: "idle for \(self.configuration.idleTimeout)")
            case .rearm(let delay):
                self.armIdleTimer(after: delay)
            }
        }
    }
}

/// The calls' side of Baton's frames: what they send becomes HEADERS, MESSAGE, TRAILERS and
/// WINDOW_UPDATE frames, each fitted to the client's `max_frame_bytes`.
extension ServerConnectionHandler: ServerCallTransport {
    func sendResponseHeaders(_ metadata: RPCMetadata, streamID: UInt32) {
        let payload = FittedEnvelope.responseHeaders(metadata: metadata.wire, maxBytes: state.clientMaxFrameSize)
        write(RPCFrame(streamID: streamID, kind: .headers, payload: payload))
    }

    func sendResponseMessage(_ message: ByteBuffer, streamID: UInt32) {
        write(RPCFrame(streamID: streamID, kind: .message, payload: message))
    }

    func sendResponseMessage(_ message: ProtoPackable, streamID: UInt32) {
        guard state.phase != .closed else { return }
        writer?.writeMessage(message, streamID: streamID)
    }

    func sendTrailers(error: RPCError?, metadata: RPCMetadata, streamID: UInt32) {
        let payload: ByteBuffer
        if error == nil && metadata.entries.isEmpty {
            payload = Self.okTrailers
        } else {
            payload = FittedEnvelope.trailers(
                status: (error ?? RPCError(.ok, "")).status,
                metadata: metadata.wire,
                maxBytes: state.clientMaxFrameSize
            )
        }
        write(RPCFrame(streamID: streamID, kind: .trailers, payload: payload))
    }

    /// The trailers of a call that succeeded with no trailing metadata, the common case,
    /// encoded once.
    private static let okTrailers: ByteBuffer = {
        var trailers = Baton_Rpc_V1_Trailers()
        trailers.status = RPCError(.ok, "").status
        return encodeEnvelope(trailers)
    }()

    func grantRequestMessages(_ messages: Int, streamID: UInt32) {
        var update = Baton_Rpc_V1_WindowUpdate()
        update.messages = UInt32(clamping: messages)
        write(RPCFrame(streamID: streamID, kind: .windowUpdate, payload: encodeEnvelope(update)))
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func retryWhenWritable(_ call: ServerCall) {
        callsAwaitingDrain.append(call)
    }

    func callEnded(_ call: ServerCall) {
        switch state.callEnded(streamID: call.streamID, now: .now()) {
        case .none:
            break
        case .close:
            close()
        case .armIdleTimer:
            if idleTimer == nil { armIdleTimer() }
        }
    }
}
