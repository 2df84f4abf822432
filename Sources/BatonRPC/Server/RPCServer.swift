import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serves RPC services on a Unix domain socket.
///
/// As a `Service` in a `ServiceGroup`, a graceful shutdown (SIGTERM/SIGINT in batond) stops
/// accepting connections, sends every connection a GOAWAY, lets calls in flight finish within
/// the grace period, and removes the socket.
public final class RPCServer: Service, Sendable {
    private enum State {
        case idle
        case listening(listener: any Channel, ownedGroup: MultiThreadedEventLoopGroup?)
        case draining(listener: any Channel, ownedGroup: MultiThreadedEventLoopGroup?)
        case stopped
    }

    private struct Connection {
        var channel: any Channel
        var handler: ServerConnectionHandler
    }

    public let configuration: RPCServerConfiguration
    private let router: RPCRouter
    private let health: HealthService?
    private let logger: Logger
    private let metrics = RPCServerMetrics()
    private let state = Mutex(State.idle)
    private let connections = Mutex<[ObjectIdentifier: Connection]>([:])
    private let serverUID = getuid()

    public init(configuration: RPCServerConfiguration, services: [any RPCService], logger: Logger) {
        var configuration = configuration
        // Below one grant's worth of messages (or no bytes at all), a client granting as
        // PROTOCOL.md says would never get its answers: a configuration cannot ask for that.
        configuration.maxWindowMessages = max(RPCFlowControl.messagesPerGrant, configuration.maxWindowMessages)
        configuration.maxWindowBytes = max(1, configuration.maxWindowBytes)
        // Reads resume once half has drained; NIO's water mark needs 1 <= low <= high.
        configuration.maxWriteBufferBytes = max(2, configuration.maxWriteBufferBytes)
        configuration.maxFrameSize = max(RPCServerConfiguration.minimumMaxFrameSize, configuration.maxFrameSize)
        self.configuration = configuration
        self.router = RPCRouter(services: services, metrics: metrics)
        self.health = services.lazy.compactMap { $0 as? HealthService }.first
        self.logger = logger
    }

    /// Every method path this server routes.
    public var methodPaths: [String] { router.paths }

    /// Binds the socket; calls are served from then on. Idempotent.
    public func start() async throws {
        if state.withLock({ if case .idle = $0 { return false } else { return true } }) { return }
        let path = configuration.socketPath
        let address = try UnixSocketPreparation.prepare(path: path, group: configuration.socketGroup)
        // A group the caller supplied is the caller's to shut down; one made here is ours.
        let ownedGroup: MultiThreadedEventLoopGroup? =
            configuration.eventLoopGroup == nil
            ? MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads)) : nil
        let group: any EventLoopGroup = configuration.eventLoopGroup ?? ownedGroup!
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            // A client that shuts down its sending side still gets the answers to its calls.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Unwritable past the limit: BackPressureHandler stops reading and sends wait (ServerCall).
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: configuration.maxWriteBufferBytes / 2, high: configuration.maxWriteBufferBytes)
            )
            .childChannelInitializer { [self] channel in
                self.initializeConnection(channel)
            }
        let listener: any Channel
        do {
            listener = try await UnixSocketPreparation.withSocketUmask(group: configuration.socketGroup) {
                try await bootstrap.bind(to: address).get()
            }
        } catch {
            try? await ownedGroup?.shutdownGracefully()
            throw error
        }
        UnixSocketPreparation.finish(path: path, group: configuration.socketGroup)
        state.withLock { $0 = .listening(listener: listener, ownedGroup: ownedGroup) }
        logger.info("listening", metadata: ["socket": "\(path)"])
    }

    /// Serves until a graceful shutdown, then drains.
    public func run() async throws {
        try await start()
        guard case .listening(let listener, _) = state.withLock({ $0 }) else { return }
        try await withGracefulShutdownHandler {
            try await listener.closeFuture.get()
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        await finishShutdown()
    }

    /// Stops accepting and drains every connection; returns when all are closed.
    public func shutdown() async {
        beginShutdown()
        await finishShutdown()
    }

    private func beginShutdown() {
        // Draining is set before the connections are listed: one that registers later sees it
        // and drains itself (see `serve`).
        let listener: (any Channel)? = state.withLock { state in
            guard case .listening(let listener, let group) = state else { return nil }
            state = .draining(listener: listener, ownedGroup: group)
            return listener
        }
        guard let listener else { return }
        logger.info("draining", metadata: ["connections": "\(connections.withLock { $0.count })"])
        health?.beginShutdown()
        listener.close(promise: nil)
        for connection in connections.withLock({ Array($0.values) }) {
            connection.channel.eventLoop.execute { connection.handler.drain() }
        }
    }

    private func finishShutdown() async {
        let stopping: (any Channel, MultiThreadedEventLoopGroup?)? = state.withLock { state in
            guard case .draining(let listener, let group) = state else { return nil }
            state = .stopped
            return (listener, group)
        }
        guard let (listener, group) = stopping else { return }
        try? await listener.closeFuture.get()
        for connection in connections.withLock({ Array($0.values) }) {
            try? await connection.channel.closeFuture.get()
        }
        unlink(configuration.socketPath)
        // Every call has ended, but a cancelled handler may still be finishing on its loop: each
        // connection stays listed until its handlers have returned.
        let finishing = connections.withLock { $0.values.map(\.handler.handlersFinished) }
        if !finishing.isEmpty {
            let allFinished = EventLoopFuture.andAllComplete(finishing, on: listener.eventLoop)
            if await !Self.completes(allFinished, within: .seconds(10)) {
                logger.warning(
                    "handlers still running at shutdown",
                    metadata: ["connections": "\(connections.withLock { $0.count })"]
                )
            }
        }
        try? await group?.shutdownGracefully()
        logger.info("stopped")
    }

    /// Whether `future` completes within `limit`.
    private static func completes(_ future: EventLoopFuture<Void>, within limit: TimeAmount) async -> Bool {
        let timer = future.eventLoop.scheduleTask(in: limit) {}
        future.whenComplete { _ in timer.cancel() }
        do {
            try await timer.futureResult.get()
            return false
        } catch {
            return true
        }
    }

    // MARK: Connections

    private func initializeConnection(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard metrics.connectionOpened(limit: configuration.maxConnections) else {
            return refuse(channel, code: .resourceExhausted, reason: "the server has \(configuration.maxConnections) connections open; try again later")
        }
        channel.closeFuture.whenComplete { [metrics] _ in metrics.connectionClosed() }
        return peerCredentials(of: channel).flatMap { peer in
            if let peer, !self.allows(peer) {
                self.logger.notice("refused peer", metadata: ["uid": "\(peer.uid)", "gid": "\(peer.gid)", "pid": "\(peer.pid)"])
                self.metrics.connectionRefused()
                return self.refuse(
                    channel,
                    code: .permissionDenied,
                    reason: "uid \(peer.uid) (gid \(peer.gid)) is not allowed to use this socket"
                )
            }
            return self.serve(channel, peer: peer)
        }
    }

    private func serve(_ channel: any Channel, peer: RPCPeer?) -> EventLoopFuture<Void> {
        let id = ObjectIdentifier(channel)
        let handler = ServerConnectionHandler(
            router: router,
            configuration: configuration,
            peer: peer,
            loop: channel.eventLoop,
            logger: logger,
            metrics: metrics
        )
        let accepting = connections.withLock { connections in
            connections[id] = Connection(channel: channel, handler: handler)
            return state.withLock { if case .listening = $0 { true } else { false } }
        }
        // On the close future, not in the handler: a channel whose handlers never got installed,
        // or that never became active, still leaves the registry, once its handlers returned.
        channel.closeFuture.whenComplete { _ in handler.channelDidClose() }
        handler.handlersFinished.whenComplete { [weak self] _ in
            _ = self?.connections.withLock { $0.removeValue(forKey: id) }
        }
        if !accepting {
            channel.eventLoop.execute { handler.drain() }
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers([
                // Withholds reads while the connection's write buffer is over its limit.
                BackPressureHandler(),
                handler,
            ])
        }
    }

    private func refuse(_ channel: any Channel, code: RPCError.Code, reason: String) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers([
                MessageToByteHandler(RPCFrameEncoder()),
                RefusingHandler(code: code, reason: reason),
            ])
        }
    }

    private func allows(_ peer: RPCPeer) -> Bool {
        if configuration.allowedUIDs.isEmpty && configuration.allowedGIDs.isEmpty {
            return peer.uid == serverUID
        }
        return configuration.allowedUIDs.contains(peer.uid) || configuration.allowedGIDs.contains(peer.gid)
    }

    private func peerCredentials(of channel: any Channel) -> EventLoopFuture<RPCPeer?> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return future.map { Optional(RPCPeer(pid: $0.pid, uid: $0.uid, gid: $0.gid)) }
            .recover { _ in nil }
    }
}

/// Linux's `struct ucred`, which Glibc's module map hides without _GNU_SOURCE.
private struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Tells a connection the server will not serve it (preface, then GOAWAY with the reason), and
/// closes it.
final class RefusingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = RPCOutbound

    let code: RPCError.Code
    let reason: String

    init(code: RPCError.Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    func channelActive(context: ChannelHandlerContext) {
        var goAway = Baton_Rpc_V1_GoAway()
        goAway.code = .init(rawValue: code.rawValue)
        goAway.reason = reason
        context.write(wrapOutboundOut(.preface), promise: nil)
        let frame = RPCFrame(streamID: 0, kind: .goAway, payload: encodeEnvelope(goAway))
        context.writeAndFlush(wrapOutboundOut(.frame(frame)), promise: nil)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

import BatonProtos
