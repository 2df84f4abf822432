import BatonProtos
import Logging
import NIOCore

/// The wire-independent half of serving one connection's calls: routes a call by its method
/// path, checks its metadata, arms its deadline, runs its handler as a task on the connection's
/// event loop, maps the handler's outcome to a status, and counts the handler tasks still
/// running, so that a shutdown awaits each connection's own. A wire decodes its framing into a
/// `Head` and serves the call's messages and status through `ServerCallTransport`.
final class ServerCallCore: @unchecked Sendable {
    // The mutable counters are touched only on `loop`, hence `@unchecked Sendable`.

    /// What a wire decoded from the opening of a call.
    struct Head {
        /// The full method path, e.g. `/baton.v1.Chats/TransferChat`.
        var method: String
        var metadata: [Baton_Rpc_V1_MetadataEntry]
        /// How long the caller waits; nil for no deadline.
        var timeout: Duration?
    }

    /// What the peer accepts, as its wire announced it.
    struct PeerLimits {
        /// Response messages the peer lets a call send before it grants more.
        var window: Int
        /// The largest response message the peer accepts.
        var maxMessageBytes: Int
    }

    /// A call whose handler starts at the wire's next `startHandlers()`.
    private struct CallToStart {
        var call: ServerCall
        var method: RPCMethodHandler
        var context: RPCServerContext
    }

    private let router: RPCRouter
    private let configuration: RPCServerConfiguration
    private let peer: RPCPeer?
    private let logger: Logger
    private let metrics: RPCServerMetrics
    private let loop: any EventLoop
    private let executor: EventLoopTaskExecutor

    /// Handler tasks that have not returned yet. A call ends (and the connection may close)
    /// before its cancelled handler has finished unwinding.
    private var runningHandlers = 0
    /// Calls opened whose handlers `startHandlers()` has not started yet.
    private var callsToStart: [CallToStart] = []
    private var connectionClosed = false
    private let handlersFinishedPromise: EventLoopPromise<Void>

    init(
        router: RPCRouter,
        configuration: RPCServerConfiguration,
        peer: RPCPeer?,
        loop: any EventLoop,
        logger: Logger,
        metrics: RPCServerMetrics
    ) {
        self.router = router
        self.configuration = configuration
        self.peer = peer
        self.loop = loop
        self.logger = logger
        self.metrics = metrics
        self.executor = EventLoopTaskExecutor(loop: loop)
        self.handlersFinishedPromise = loop.makePromise()
    }

    /// Completes once the connection has closed and every handler task it started has returned:
    /// only then may the event loop those tasks run on be shut down. A handler cancelled while
    /// it awaits the database resumes on this loop (its task executor); were the loop gone, it
    /// would never run again and whatever it held (a database reader) would stay held for good.
    var handlersFinished: EventLoopFuture<Void> { handlersFinishedPromise.futureResult }

    // MARK: Calls

    /// Opens a call whose wire admitted it (stream, limits): its handler starts at the wire's
    /// next `startHandlers()`.
    /// Refused with the status to send when its metadata is invalid or no handler serves it.
    func startCall(
        _ head: Head,
        streamID: UInt32,
        transport: any ServerCallTransport,
        peerLimits: PeerLimits
    ) -> Result<ServerCall, RPCError> {
        loop.preconditionInEventLoop()
        if let problem = RPCMetadata.validationFailure(head.metadata) {
            return .failure(refused(RPCError(.invalidArgument, problem)))
        }
        guard let route = router.route(for: head.method) else {
            return .failure(refused(RPCError(.unimplemented, "unknown method \(head.method)")))
        }
        let method = route.method
        let call = ServerCall(
            streamID: streamID,
            method: method,
            transport: transport,
            loop: loop,
            flowControl: RPCFlowControl(
                receiveWindow: configuration.receiveWindow,
                sendWindow: peerLimits.window,
                maxSendCredit: configuration.maxWindowMessages,
                // One response is never held back by the byte cap; streamed ones are.
                maxUnacknowledgedBytes: method.kind == .serverStreaming || method.kind == .bidirectionalStreaming
                    ? configuration.maxWindowBytes : nil
            ),
            clientMaxMessageBytes: peerLimits.maxMessageBytes,
            metrics: route.metrics
        )
        metrics.callStarted()
        var deadline: ContinuousClock.Instant?
        if let timeout = head.timeout {
            deadline = .now + timeout
            call.deadlineTimer = loop.scheduleTask(in: TimeAmount(clamping: timeout)) {
                call.finish(RPCError(.deadlineExceeded, "the call did not finish within its \(timeout) deadline"))
            }
        }
        let context = RPCServerContext(
            path: method.path,
            metadata: RPCMetadata(head.metadata),
            deadline: deadline,
            peer: peer,
            streamID: streamID,
            connectionLogger: logger
        )
        callsToStart.append(CallToStart(call: call, method: method, context: context))
        return .success(call)
    }

    /// Starts the handlers of the calls opened since the last time, in the order they opened.
    /// A wire calls this once it has decoded what one read brought: a handler then finds the
    /// request messages that came with its call already buffered and runs on this thread, at
    /// once, until it really waits (for a request still to come, the client's window, the
    /// database); it resumes on the connection's event loop. A call that ended before (its
    /// client cancelled it in the same read) never runs its handler.
    func startHandlers() {
        loop.preconditionInEventLoop()
        // A while loop over the live count: a handler that opened a call of its own would
        // still have it started here.
        var next = 0
        while next < callsToStart.count {
            let opened = callsToStart[next]
            next += 1
            if !opened.call.hasEnded { startHandler(opened) }
        }
        callsToStart.removeAll(keepingCapacity: true)
    }

    private func startHandler(_ opened: CallToStart) {
        runningHandlers += 1
        let loop = self.loop
        let call = opened.call
        // An immediate task rather than an enqueued one: most handlers answer without ever
        // suspending, and enqueueing cost a loop pass and an allocation per call.
        let task = Task.immediate(executorPreference: executor) {
            await Self.run(opened.method, call: call, context: opened.context)
            if loop.inEventLoop {
                self.handlerReturned()
            } else {
                loop.execute { self.handlerReturned() }
            }
        }
        call.handlerStarted(task)
    }

    /// Counts a call that never started, refused with `error`; returns it.
    @discardableResult
    func refused(_ error: RPCError) -> RPCError {
        metrics.unrouted.callFinished(code: error.code, duration: .zero)
        return error
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
            call.handlerReturned(outcome)
        } else {
            call.loop.execute { call.handlerReturned(outcome) }
        }
    }

    // MARK: Handler tasks

    private func handlerReturned() {
        runningHandlers -= 1
        completeHandlersFinishedIfDone()
    }

    /// The connection closed (its channel's close future completed, also for a channel that
    /// never became active): the handlers still running are the last it waits for.
    func connectionDidClose() {
        loop.preconditionInEventLoop()
        connectionClosed = true
        completeHandlersFinishedIfDone()
    }

    private func completeHandlersFinishedIfDone() {
        if connectionClosed && runningHandlers == 0 { handlersFinishedPromise.succeed() }
    }
}
