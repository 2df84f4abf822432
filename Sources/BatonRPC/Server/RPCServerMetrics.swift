import CoreMetrics
import Synchronization

/// The server's metrics through swift-metrics: calls and their latency by method and status,
/// and gauges of open connections and calls in flight.
final class RPCServerMetrics: Sendable {
    private struct Key: Hashable {
        var path: String
        var code: Int32
    }

    private let counters = Mutex<[Key: (calls: Counter, latency: Timer)]>([:])
    private let connections = Gauge(label: "baton_rpc_open_connections")
    private let callsInFlight = Gauge(label: "baton_rpc_calls_in_flight")
    private let refusedConnections = Counter(label: "baton_rpc_refused_connections_total")
    private let openConnections = Atomic<Int>(0)
    private let openCalls = Atomic<Int>(0)

    func callStarted() {
        callsInFlight.record(openCalls.add(1, ordering: .relaxed).newValue)
    }

    func callFinished(path: String, code: RPCError.Code, duration: Duration) {
        if path != "unrouted" { callsInFlight.record(openCalls.subtract(1, ordering: .relaxed).newValue) }
        let key = Key(path: path, code: code.rawValue)
        let pair = counters.withLock { counters in
            if let pair = counters[key] { return pair }
            let dimensions = [("method", path), ("code", code.name)]
            let pair = (
                Counter(label: "baton_rpc_calls_total", dimensions: dimensions),
                Timer(label: "baton_rpc_call_duration_seconds", dimensions: dimensions)
            )
            counters[key] = pair
            return pair
        }
        pair.calls.increment()
        pair.latency.recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        )
    }

    /// Counts a connection in; false when `limit` connections are already open.
    func connectionOpened(limit: Int) -> Bool {
        let count = openConnections.add(1, ordering: .relaxed).newValue
        guard count <= limit else {
            openConnections.subtract(1, ordering: .relaxed)
            connectionRefused()
            return false
        }
        connections.record(count)
        return true
    }

    /// Counts a connection the server would not serve (too many open, or a peer not allowed).
    func connectionRefused() {
        refusedConnections.increment()
    }

    func connectionClosed() {
        connections.record(openConnections.subtract(1, ordering: .relaxed).newValue)
    }
}
