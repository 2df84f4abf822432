import BatonProtos
import Synchronization

/// `baton.rpc.v1.Health`, with gRPC health-checking semantics: a status per service name ("" is
/// the server as a whole); `Check` answers now, `Watch` streams the status and every change.
public final class HealthService: RPCService, Sendable {
    public typealias Status = Baton_Rpc_V1_ServingStatus

    private struct State {
        var statuses: [String: Status] = ["": .serving]
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Sets the status of `service` ("" for the whole server) and tells every watcher.
    public func setStatus(_ status: Status, for service: String = "") {
        let watchers = state.withLock { state in
            state.statuses[service] = status
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield() }
    }

    /// Marks everything NOT_SERVING for a shutdown; watchers get that status, then their
    /// streams end, so they do not hold the drain open.
    func beginShutdown() {
        let watchers = state.withLock { state in
            state.shuttingDown = true
            for service in state.statuses.keys { state.statuses[service] = .notServing }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield() }
    }

    private var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    private func status(of service: String) -> Status? {
        state.withLock { $0.statuses[service] }
    }

    public var methods: [RPCMethodHandler] {
        [
            .unary("/baton.rpc.v1.Health/Check") {
                (request: Baton_Rpc_V1_HealthCheckRequest, _) -> Baton_Rpc_V1_HealthCheckResponse in
                guard let status = self.status(of: request.service) else {
                    throw RPCError(.notFound, "unknown service \(request.service)")
                }
                var response = Baton_Rpc_V1_HealthCheckResponse()
                response.status = status
                return response
            },
            .serverStreaming("/baton.rpc.v1.Health/Watch") {
                (request: Baton_Rpc_V1_HealthCheckRequest, writer: RPCStreamWriter<Baton_Rpc_V1_HealthCheckResponse>, _) in
                let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                let id = self.state.withLock { state in
                    state.nextWatcher += 1
                    state.watchers[state.nextWatcher] = continuation
                    return state.nextWatcher
                }
                defer { _ = self.state.withLock { $0.watchers.removeValue(forKey: id) } }
                var last: Status?
                continuation.yield()
                for await _ in changes {
                    let current = self.status(of: request.service) ?? .serviceUnknown
                    guard current != last else { continue }
                    last = current
                    var response = Baton_Rpc_V1_HealthCheckResponse()
                    response.status = current
                    try await writer.send(response)
                    if self.isShuttingDown { return }
                }
                throw CancellationError()
            },
        ]
    }
}
