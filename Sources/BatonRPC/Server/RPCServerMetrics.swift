import CoreMetrics
import Synchronization

/// The server's metrics through swift-metrics: calls and their latency by method and status,
/// and gauges of open connections and calls in flight.
final class RPCServerMetrics: Sendable {
    /// One method's call counters, resolved when the router is built: a call that ends OK takes
    /// no lock and looks nothing up; other statuses are made on first use.
    final class Method: Sendable {
        private typealias Pair = (calls: Counter, latency: Timer)

        private let path: String
        /// Nil for calls that never started: they were never counted in flight.
        private let inFlight: CallsInFlight?
        private let ok: Pair
        private let others = Mutex<[Int32: Pair]>([:])

        fileprivate init(path: String, inFlight: CallsInFlight?) {
            self.path = path
            self.inFlight = inFlight
            self.ok = Self.pair(path: path, code: .ok)
        }

        private static func pair(path: String, code: RPCError.Code) -> Pair {
            let dimensions = [("method", path), ("code", code.name)]
            return (
                Counter(label: "baton_rpc_calls_total", dimensions: dimensions),
                Timer(label: "baton_rpc_call_duration_seconds", dimensions: dimensions)
            )
        }

        func callFinished(code: RPCError.Code, duration: Duration) {
            inFlight?.callFinished()
            let pair =
                code == .ok
                ? ok
                : others.withLock { others in
                    if let pair = others[code.rawValue] { return pair }
                    let pair = Self.pair(path: path, code: code)
                    others[code.rawValue] = pair
                    return pair
                }
            pair.calls.increment()
            pair.latency.recordNanoseconds(
                duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
            )
        }
    }

    fileprivate final class CallsInFlight: Sendable {
        private let gauge = Gauge(label: "baton_rpc_calls_in_flight")
        private let count = Atomic<Int>(0)

        func callStarted() { gauge.record(count.add(1, ordering: .relaxed).newValue) }
        func callFinished() { gauge.record(count.subtract(1, ordering: .relaxed).newValue) }
    }

    private let connections = Gauge(label: "baton_rpc_open_connections")
    private let refusedConnections = Counter(label: "baton_rpc_refused_connections_total")
    private let openConnections = Atomic<Int>(0)
    private let inFlight = CallsInFlight()
    /// Calls refused before they started (unknown method, invalid headers, limits, drain).
    let unrouted = Method(path: "unrouted", inFlight: nil)

    /// The counters of the method at `path`; made once per method, when the router is built.
    func method(_ path: String) -> Method {
        Method(path: path, inFlight: inFlight)
    }

    func callStarted() {
        inFlight.callStarted()
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
