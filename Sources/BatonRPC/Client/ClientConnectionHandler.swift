import BatonProtos
import NIOCore

/// The client side of one connection: sends the preface, multiplexes calls over stream ids,
/// and turns the server's frames into call events. Lives on the connection's event loop.
final class ClientConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    // Confined to the channel's event loop like every ChannelHandler; calls reach it only
    // through `loop.execute`, hence `@unchecked Sendable`.
    typealias InboundIn = RPCInbound

    private var context: ChannelHandlerContext?
    private var writer: FrameWriter?
    private var state = StateMachine<ClientCall>()
    /// The largest MESSAGE payload the server accepts (its SETTINGS).
    var serverMaxFrameSize: Int { state.serverMaxFrameSize }
    let receiveWindow: Int
    /// The largest frame this client accepts; announced so the server fails an oversized
    /// response alone instead of the connection.
    let maxFrameSize: Int
    private var pendingPings: [UInt64: EventLoopPromise<Void>] = [:]

    init(receiveWindow: Int, maxFrameSize: Int) {
        self.receiveWindow = receiveWindow
        self.maxFrameSize = maxFrameSize
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.writer = FrameWriter(context: context)
    }

    func channelActive(context: ChannelHandlerContext) {
        writer?.writePreface()
        var settings = Baton_Rpc_V1_Settings()
        settings.initialWindowMessages = UInt32(clamping: receiveWindow)
        settings.maxFrameBytes = UInt32(clamping: maxFrameSize)
        settings.agent = "baton-swift-client/1"
        write(RPCFrame(streamID: 0, kind: .settings, payload: encodeEnvelope(settings)))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(state.refusal ?? RPCError(.unavailable, "the connection to the server closed"))
        self.context = nil
        self.writer = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RPCError(.unavailable, "connection failed: \(error)"))
        context.close(promise: nil)
    }

    private func fail(_ error: RPCError) {
        for call in state.failed(error) { call.finish(.failure(error)) }
        for promise in pendingPings.values { promise.fail(error) }
        pendingPings.removeAll()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .preface(let version):
            if let error = state.receivedPreface(version: version) {
                fail(error)
                context.close(promise: nil)
            }
        case .frame(let frame):
            handle(frame, context: context)
        }
    }

    private func handle(_ frame: RPCFrame, context: ChannelHandlerContext) {
        switch frame.kind {
        case .headers:
            guard let headers: Baton_Rpc_V1_ResponseHeaders = decodeEnvelope(frame) else { return }
            state.call(onStream: frame.streamID)?.receiveHeaders(RPCMetadata(headers.metadata))
        case .message:
            state.call(onStream: frame.streamID)?.receive(frame.payload)
        case .trailers:
            guard let call = state.call(onStream: frame.streamID) else { return }
            guard let trailers: Baton_Rpc_V1_Trailers = decodeEnvelope(frame) else {
                call.finish(.failure(RPCError(.internal, "the server sent unreadable trailers")))
                return
            }
            let metadata = RPCMetadata(trailers.metadata)
            let status = trailers.status ?? Baton_Rpc_V1_Status()
            if status.code == .ok {
                call.finish(.success(metadata))
            } else {
                call.finish(.failure(RPCError(status: status, metadata: metadata)))
            }
        case .windowUpdate:
            guard let update: Baton_Rpc_V1_WindowUpdate = decodeEnvelope(frame) else { return }
            state.call(onStream: frame.streamID)?.grant(Int(clamping: update.messages))
        case .settings:
            guard let settings: Baton_Rpc_V1_Settings = decodeEnvelope(frame) else { return }
            state.receivedSettings(
                initialWindowMessages: settings.initialWindowMessages,
                maxFrameBytes: settings.maxFrameBytes
            )
        case .ping:
            if frame.flags & RPCFrame.ackFlag != 0 {
                var payload = frame.payload
                if let opaque = payload.readInteger(as: UInt64.self) {
                    pendingPings.removeValue(forKey: opaque)?.succeed()
                }
            } else {
                write(RPCFrame(streamID: 0, kind: .ping, flags: RPCFrame.ackFlag, payload: frame.payload))
            }
        case .goAway:
            let goAway: Baton_Rpc_V1_GoAway = decodeEnvelope(frame) ?? Baton_Rpc_V1_GoAway()
            let action = state.receivedGoAway(
                lastStreamID: goAway.lastStreamID,
                code: RPCError.Code(rawValue: goAway.code.rawValue),
                reason: goAway.reason
            )
            for call in action.failing { call.finish(.failure(action.error)) }
        default:
            break  // CLOSE_SEND and CANCEL are the client's own frames; a server does not send them
        }
    }

    private func decodeEnvelope<Message: ProtoMessage>(_ frame: RPCFrame) -> Message? {
        try? frame.payload.withUnsafeReadableBytes { raw in try Message(serializedBytes: raw) }
    }

    // MARK: Calls

    /// Opens a call (on the loop): HEADERS now; messages follow through the returned call.
    func open(headers: Baton_Rpc_V1_CallHeaders, timeout: Duration?) -> Result<ClientCall, RPCError> {
        let id: UInt32
        switch state.openStream() {
        case .success(let streamID): id = streamID
        case .failure(let error): return .failure(error)
        }
        guard let context else { return .failure(RPCError(.unavailable, "the connection to the server closed")) }
        let call = ClientCall(
            streamID: id,
            loop: context.eventLoop,
            connection: self,
            receiveWindow: receiveWindow,
            sendWindow: state.sendWindow
        )
        state.callOpened(call, streamID: id)
        if let timeout {
            call.deadlineTimer = context.eventLoop.scheduleTask(in: TimeAmount(clamping: timeout)) {
                call.cancel(RPCError(.deadlineExceeded, "no answer within the \(timeout) timeout"))
            }
        }
        write(RPCFrame(streamID: id, kind: .headers, payload: encodeEnvelope(headers)))
        return .success(call)
    }

    /// A whole unary call in one event-loop turn: HEADERS, MESSAGE, CLOSE_SEND.
    func startUnary(
        headers: Baton_Rpc_V1_CallHeaders,
        request: ByteBuffer,
        timeout: Duration?,
        waiter: CheckedContinuation<(message: ByteBuffer, metadata: RPCMetadata), any Error>
    ) -> ClientCall? {
        switch open(headers: headers, timeout: timeout) {
        case .failure(let error):
            waiter.resume(throwing: error)
            return nil
        case .success(let call):
            call.collectUnaryResponse(waiter)
            if request.readableBytes > serverMaxFrameSize {
                call.cancel(RPCError(.resourceExhausted, "a request of \(request.readableBytes) bytes exceeds the server's limit of \(serverMaxFrameSize) bytes"))
                return call
            }
            write(RPCFrame(streamID: call.streamID, kind: .message, payload: request))
            write(RPCFrame(streamID: call.streamID, kind: .closeSend))
            return call
        }
    }

    func callEnded(_ streamID: UInt32) {
        state.callEnded(streamID: streamID)
    }

    func sendWindowUpdate(streamID: UInt32, messages: Int) {
        var update = Baton_Rpc_V1_WindowUpdate()
        update.messages = UInt32(clamping: messages)
        write(RPCFrame(streamID: streamID, kind: .windowUpdate, payload: encodeEnvelope(update)))
    }

    func ping(_ promise: EventLoopPromise<Void>) {
        if let refusal = state.refusal {
            promise.fail(refusal)
            return
        }
        let opaque = UInt64.random(in: 1...UInt64.max)
        pendingPings[opaque] = promise
        var payload = ByteBuffer()
        payload.writeInteger(opaque)
        write(RPCFrame(streamID: 0, kind: .ping, payload: payload))
    }

    func write(_ frame: RPCFrame) {
        writer?.write(frame)
    }
}
