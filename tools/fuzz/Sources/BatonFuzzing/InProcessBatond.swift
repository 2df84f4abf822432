import Baton
import BatonProtos
import BatonRPC
import BatonServer
import BatonStore
import Foundation
import Logging
import Metrics
import Prometheus

/// batond in the fuzzing process, with the services `Sources/batond` serves (`BatonServices`, the
/// test service included, Prometheus metrics), on a Unix socket in a
/// temporary folder over a fresh SQLite store seeded with the demo data, so requests naming the
/// demo's reps and chat reach past the lookups. A handler that traps ends the fuzzing process,
/// which is what libFuzzer catches.
public final class InProcessBatond: Sendable {
    public let socketPath: String
    /// Every routed method path with its kind, sorted by path.
    public let methods: [(path: String, kind: ProtoMethodKind)]
    public let handoff: Handoff
    private let directory: String
    private let store: SQLiteStore
    private let server: RPCServer

    public static func start() async throws -> InProcessBatond {
        let directory = NSTemporaryDirectory() + "baton-fuzz-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try await InProcessBatond(directory: directory)
    }

    private init(directory: String) async throws {
        self.directory = directory
        socketPath = "\(directory)/rpc.sock"
        store = try SQLiteStore(path: "\(directory)/baton.sqlite")
        // batond's default retention, so the sweep prunes as it does there.
        handoff = Handoff(store: store, retention: Retention(events: 30 * 86_400, idempotentResponses: 24 * 3_600))
        try await DemoData.seed(handoff)

        let registry = Self.registry
        let services = BatonServices.all(
            handoff: handoff,
            health: HealthService(),
            scrapeMetrics: {
                var buffer: [UInt8] = []
                registry.emit(into: &buffer)
                return String(decoding: buffer, as: UTF8.self)
            },
            includingTestService: true
        )
        methods = services.flatMap(\.methods).map { ($0.path, $0.kind) }.sorted { $0.path < $1.path }

        var configuration = RPCServerConfiguration(socketPath: socketPath)
        configuration.eventLoopThreads = 1
        configuration.shutdownGracePeriod = .milliseconds(100)
        server = RPCServer(
            configuration: configuration,
            services: services,
            logger: Logger(label: "baton-fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await server.start()
    }

    /// Stops the server and removes the store.
    public func stop() async {
        await server.shutdown()
        try? store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One registry for the process: the metrics system can be bootstrapped only once.
    private static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
