import ArgumentParser
import Baton
import BatonPostgres
import BatonProtos
import BatonRPC
import BatonServer
import BatonStore
import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// `batond`: Baton's server. Listens on a Unix socket and serves until SIGTERM or SIGINT, then
/// drains: calls in flight finish within the grace period, the socket is removed.
@main
struct Batond: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batond",
        abstract: "Serve Baton's chat-handoff API on a Unix socket.",
        discussion: """
            The socket defaults to $XDG_RUNTIME_DIR/baton/batond.sock (/run/baton/batond.sock as root), \
            or $BATON_SOCKET when set. Its folder is created 0700 (0750 with --socket-group). \
            The database defaults to $XDG_DATA_HOME/baton/baton.sqlite (~/.local/share/baton/ without \
            XDG_DATA_HOME, /var/lib/baton/ as root); it is created (folder 0700, files 0600) and migrated \
            on first start, and one batond at a time may open it. With --postgres-url (or \
            $BATON_POSTGRES_URL) the state lives in PostgreSQL instead, shared by every batond pointed at it.
            """
    )

    @Option(help: "The Unix socket to listen on (default: $BATON_SOCKET, else the runtime folder).")
    var socket: String?

    @Option(help: "A group (numeric gid) that may use the socket: folder 0750, socket 0660.")
    var socketGroup: UInt32?

    @Option(name: .customLong("allow-uid"), help: "A uid allowed to connect (repeatable). Default: batond's own uid.")
    var allowedUIDs: [UInt32] = []

    @Option(name: .customLong("allow-gid"), help: "A gid allowed to connect (repeatable).")
    var allowedGIDs: [UInt32] = []

    @Option(help: "The largest frame payload accepted, in bytes.")
    var maxFrameSize = 4 << 20

    @Option(help: "Connections served at once.")
    var maxConnections = 256

    @Option(help: "Calls in flight per connection.")
    var maxCallsPerConnection = 100

    @Option(
        help: ArgumentHelp(
            "Unwritten response bytes per connection past which batond stops reading it until half has drained.",
            valueName: "bytes"
        )
    )
    var maxWriteBuffer = 1 << 20

    @Option(help: "The largest response window per call honoured, in messages, whatever a client grants.")
    var maxWindowMessages = 1024

    @Option(
        help: ArgumentHelp(
            "Response bytes per call a client may leave unacknowledged (once \(RPCFlowControl.messagesPerGrant) messages are).",
            valueName: "bytes"
        )
    )
    var maxWindowBytes = 16 << 20

    @Option(help: "Seconds without a call before an idle connection is closed.")
    var idleTimeout = 300

    @Option(help: "Seconds a shutdown lets calls in flight finish.")
    var gracePeriod = 10

    @Option(help: "Event loop threads (default: one per core).")
    var threads = System.coreCount

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "The folder of the database (baton.sqlite in it).")
    var dataDir: String?

    @Option(help: "The database file (overrides --data-dir).")
    var database: String?

    @Option(
        name: .customLong("postgres-url"),
        help: ArgumentHelp(
            "Keep the state in PostgreSQL, shared with other batonds: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/folder] (default: $BATON_POSTGRES_URL).",
            valueName: "url"
        )
    )
    var postgresURL: String?

    @Flag(help: "Sync every commit to disk so it survives power loss (default: survives a killed process).")
    var fullSync = false

    @Flag(help: "Seed the guide's sales team and an active chat (does nothing when already seeded).")
    var demo = false

    @Option(help: "Seconds a two-phase transfer waits for an answer when the request does not say.")
    var transferRequestTTL: UInt32 = 120

    // Unconditional parsing takes "-1" as the value, so validate() can say what is wrong with it
    // (the default would report a missing value).
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Days events stay in the log (the newest always stays); 0 keeps them forever.",
            valueName: "days"
        )
    )
    var eventRetentionDays = 30

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Hours a response is remembered for retries with its idempotency key; 0 keeps them forever.",
            valueName: "hours"
        )
    )
    var idempotencyRetentionHours = 24

    @Flag(help: "Also serve baton.test.v1.TestService (echo over all call kinds) for tests and benchmarks.")
    var enableTestService = false

    /// Ten years: a larger retention is almost certainly a typo, not a policy.
    static let maxEventRetentionDays = 3650
    /// A year: remembered responses only serve retries, which come within minutes.
    static let maxIdempotencyRetentionHours = 8760

    /// The PostgreSQL URL in effect: the flag, else the environment unless a SQLite file is named.
    private var effectivePostgresURL: (url: String, source: String)? {
        if let postgresURL { return (postgresURL, "--postgres-url") }
        guard database == nil, dataDir == nil,
            let url = ProcessInfo.processInfo.environment["BATON_POSTGRES_URL"], !url.isEmpty
        else { return nil }
        return (url, "BATON_POSTGRES_URL")
    }

    func validate() throws {
        if postgresURL != nil {
            if database != nil { throw ValidationError("--postgres-url and --database cannot be used together") }
            if dataDir != nil { throw ValidationError("--postgres-url and --data-dir cannot be used together") }
        }
        if let postgres = effectivePostgresURL {
            do {
                _ = try PostgresURL(postgres.url)
            } catch {
                throw ValidationError("\(postgres.source): \(error)")
            }
        }
        // The limits a connection announces travel as u32 fields of SETTINGS.
        let wireLimit = Int(UInt32.max)
        try Self.check(
            maxFrameSize,
            "--max-frame-size",
            within: RPCServerConfiguration.minimumMaxFrameSize...wireLimit
        )
        try Self.check(maxCallsPerConnection, "--max-calls-per-connection", within: 1...wireLimit)
        try Self.check(maxConnections, "--max-connections", within: 1...Int.max)
        // Reads resume once half has drained: half of 1 byte would be none.
        try Self.check(maxWriteBuffer, "--max-write-buffer", within: 2...Int.max)
        // Below one grant's worth of messages, a client granting as PROTOCOL.md says would stall.
        try Self.check(maxWindowMessages, "--max-window-messages", within: RPCFlowControl.messagesPerGrant...wireLimit)
        try Self.check(maxWindowBytes, "--max-window-bytes", within: 1...Int.max)
        try Self.check(eventRetentionDays, "--event-retention-days", upTo: Self.maxEventRetentionDays)
        try Self.check(
            idempotencyRetentionHours,
            "--idempotency-retention-hours",
            upTo: Self.maxIdempotencyRetentionHours
        )
    }

    private static func check(_ value: Int, _ flag: String, within range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
    }

    private static func check(_ value: Int, _ flag: String, upTo maximum: Int) throws {
        guard (0...maximum).contains(value) else {
            throw ValidationError("\(flag) must be between 0 (keep forever) and \(maximum), not \(value)")
        }
    }

    /// The retention the flags ask for; 0 means no limit.
    private var retention: Retention {
        Retention(
            events: eventRetentionDays == 0 ? nil : TimeInterval(eventRetentionDays) * 86_400,
            idempotentResponses: idempotencyRetentionHours == 0 ? nil : TimeInterval(idempotencyRetentionHours) * 3_600
        )
    }

    func run() async throws {
        do {
            try await serve()
        } catch let failure as StartupFailure {
            failure.report()
            throw ExitCode(failure.exitCode)
        }
    }

    private func serve() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "batond")

        var configuration = RPCServerConfiguration(socketPath: socket ?? BatonSocketPath.default)
        configuration.socketGroup = socketGroup
        configuration.allowedUIDs = Set(allowedUIDs)
        configuration.allowedGIDs = Set(allowedGIDs)
        configuration.maxFrameSize = maxFrameSize
        configuration.maxConnections = maxConnections
        configuration.maxConcurrentCallsPerConnection = maxCallsPerConnection
        configuration.maxWriteBufferBytes = maxWriteBuffer
        configuration.maxWindowMessages = maxWindowMessages
        configuration.maxWindowBytes = maxWindowBytes
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.shutdownGracePeriod = .seconds(gracePeriod)
        configuration.eventLoopThreads = threads

        let health = HealthService()
        if let postgres = effectivePostgresURL {
            try await servePostgres(url: postgres.url, configuration: configuration, health: health, registry: registry, logger: logger)
            return
        }
        let databasePath = database ?? dataDir.map { "\($0)/baton.sqlite" } ?? SQLiteStore.defaultPath()
        let store: SQLiteStore
        do {
            store = try SQLiteStore(
                path: databasePath,
                durability: fullSync ? .powerLoss : .processCrash,
                notices: StoreNoticeLog(logger: logger).log
            )
        } catch {
            throw StartupFailure.database(databasePath, error)
        }
        logger.info(
            "database",
            metadata: [
                "path": "\(databasePath)", "full_sync": "\(fullSync)",
                "event_retention_days": "\(eventRetentionDays)",
                "idempotency_retention_hours": "\(idempotencyRetentionHours)",
            ]
        )
        let handoff = Handoff(store: store, defaultRequestTTL: transferRequestTTL, retention: retention)
        if demo {
            let chatID: String
            do {
                chatID = try await DemoData.seed(handoff)
            } catch {
                throw StartupFailure(
                    message: "cannot seed the demo data: \(error.message)",
                    exitCode: StartupFailure.ioError
                )
            }
            logger.info("demo data seeded", metadata: ["team": "\(DemoData.teamID)", "chat": "\(chatID)"])
        }

        let server = try await startServer(
            handoff: handoff,
            configuration: configuration,
            health: health,
            registry: registry,
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [server, SweeperService(sweeper: Sweeper(handoff: handoff, logger: logger))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        // Once the server and the sweeper stopped, nothing writes any more: closing the store
        // then checkpoints the WAL into the database, removes it and its index, and releases
        // the lock for the next batond.
        defer { Self.close(store, logger: logger) }
        try await group.run()
    }

    /// Builds the services over `handoff` and starts listening.
    private func startServer(
        handoff: Handoff,
        configuration: RPCServerConfiguration,
        health: HealthService,
        registry: PrometheusCollectorRegistry,
        logger: Logger
    ) async throws -> RPCServer {
        let services = BatonServices.all(
            handoff: handoff,
            health: health,
            scrapeMetrics: {
                var buffer: [UInt8] = []
                registry.emit(into: &buffer)
                return String(decoding: buffer, as: UTF8.self)
            },
            includingTestService: enableTestService
        )
        let server = RPCServer(configuration: configuration, services: services, logger: logger)
        do {
            try await server.start()
        } catch {
            throw StartupFailure.socket(configuration.socketPath, error)
        }
        return server
    }

    /// Serves with the state in PostgreSQL. batond starts whether or not the server answers:
    /// calls fail with UNAVAILABLE and health says NOT_SERVING until it does (the schema is
    /// migrated then), and again whenever it goes away.
    private func servePostgres(
        url: String,
        configuration: RPCServerConfiguration,
        health: HealthService,
        registry: PrometheusCollectorRegistry,
        logger: Logger
    ) async throws {
        let signal = EventSignal()
        let store: PostgresStore
        do {
            store = try PostgresStore(url: url, signal: signal, logger: logger)
        } catch {
            throw StartupFailure(message: "\(error)", exitCode: StartupFailure.config)
        }
        logger.info(
            "database",
            metadata: [
                "postgres": "\(store.location)",
                "event_retention_days": "\(eventRetentionDays)",
                "idempotency_retention_hours": "\(idempotencyRetentionHours)",
            ]
        )
        let handoff = Handoff(store: store, signal: signal, defaultRequestTTL: transferRequestTTL, retention: retention)
        health.setStatus(.notServing)
        let server = try await startServer(
            handoff: handoff,
            configuration: configuration,
            health: health,
            registry: registry,
            logger: logger
        )
        let seed: (@Sendable () async -> Void)?
        if demo {
            seed = { @Sendable in
                do {
                    let chatID = try await DemoData.seed(handoff)
                    logger.info("demo data seeded", metadata: ["team": "\(DemoData.teamID)", "chat": "\(chatID)"])
                } catch let error as BatonError {
                    logger.error("cannot seed the demo data", metadata: ["error": "\(error.message)"])
                } catch {
                    logger.error("cannot seed the demo data", metadata: ["error": "\(error)"])
                }
            }
        } else {
            seed = nil
        }
        // The store first: a group shuts its services down in reverse order, so the store
        // outlives the calls the server drains. A store that fails (a schema newer than this
        // batond) shuts the group down gracefully: the server drains on a graceful shutdown,
        // not on cancellation.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: store, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: server),
                    .init(service: StoreHealthService(store: store, health: health, seed: seed)),
                    .init(service: SweeperService(sweeper: Sweeper(handoff: handoff, logger: logger))),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch let error as PostgresSchemaTooNew {
            throw StartupFailure(message: "\(error)", exitCode: StartupFailure.config)
        }
    }

    private static func close(_ store: SQLiteStore, logger: Logger) {
        do {
            try store.close()
        } catch {
            logger.warning(
                "the database did not close cleanly; the next start replays its log",
                metadata: ["error": "\(error)"]
            )
        }
    }
}
