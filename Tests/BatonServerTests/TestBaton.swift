import Baton
import BatonProtos
import BatonRPC
import BatonPostgres
import BatonServer
import BatonStore
import BatonTestSupport
import Foundation
import GRDB
import Logging
import Testing

/// A real batond in miniature for one test: a store (SQLite in a temporary folder, or a fresh
/// database on the shared PostgreSQL test cluster), a manual clock, the Reps, Chats, Events and
/// Calendars services on a Unix socket, and a client.
final class TestBaton: Sendable {
    let directory: String
    let clock: ManualClock
    let storage: TestStorage
    let store: any BatonStore
    let handoff: Handoff
    let server: RPCServer
    let client: RPCClient
    private let closeStore: @Sendable () async -> Void

    private init(
        directory: String,
        storage: TestStorage,
        clock: ManualClock,
        durability: SQLiteStore.Durability,
        retention: Retention
    ) async throws {
        self.directory = directory
        self.storage = storage
        self.clock = clock
        let signal = EventSignal()
        switch storage {
        case .sqlite(let folder):
            let sqlite = try SQLiteStore(path: "\(folder)/data/baton.sqlite", durability: durability)
            store = sqlite
            closeStore = { try? sqlite.close() }
        case .postgres(let database):
            let postgres = try PostgresStore(url: database.url, signal: signal, logger: Self.quiet)
            let running = Task { try await postgres.run() }
            do {
                try await postgres.migrate()
                try await Self.waitUntilAvailable(postgres)
            } catch {
                running.cancel()
                _ = await running.result
                throw error
            }
            store = postgres
            closeStore = {
                running.cancel()
                _ = await running.result
            }
        }
        handoff = Handoff(store: store, clock: clock, signal: signal, defaultRequestTTL: 120, retention: retention)
        var configuration = RPCServerConfiguration(socketPath: "\(directory)/rpc.sock")
        configuration.eventLoopThreads = 1
        configuration.shutdownGracePeriod = .seconds(2)
        server = RPCServer(
            configuration: configuration,
            services: [
                RepsService(handoff: handoff), ChatsService(handoff: handoff), EventsService(handoff: handoff),
                CalendarsService(handoff: handoff),
            ],
            logger: Self.quiet
        )
        do {
            try await ServerStartTurns.shared.run { [server] in try await server.start() }
            client = try await RPCClient.connect(socketPath: configuration.socketPath)
        } catch {
            await server.shutdown()
            await closeStore()
            throw error
        }
    }

    private static let quiet = Logger(label: "baton-server-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The store serves calls once its LISTEN connection is up (it says so on `availability`).
    private static func waitUntilAvailable(_ store: PostgresStore) async throws {
        for await available in store.availability where available { return }
        throw CancellationError()
    }

    /// Runs `body` with a fresh server over a fresh store of `engine`, then stops it and removes
    /// the store.
    static func with<T>(
        _ engine: TestEngine = .sqlite,
        clock: ManualClock = ManualClock(),
        durability: SQLiteStore.Durability = .processCrash,
        retention: Retention = .forever,
        _ body: (TestBaton) async throws -> T
    ) async throws -> T {
        try await TestStorage.with(engine) { storage in
            try await reopen(storage, clock: clock, durability: durability, retention: retention, body)
        }
    }

    /// Runs `body` with a server over what `storage` already holds, then stops it.
    static func reopen<T>(
        _ storage: TestStorage,
        clock: ManualClock = ManualClock(),
        durability: SQLiteStore.Durability = .processCrash,
        retention: Retention = .forever,
        _ body: (TestBaton) async throws -> T
    ) async throws -> T {
        // The socket's own folder: a PostgreSQL store has none, and a restart of a SQLite one
        // must find its database where the last run left it.
        let directory = NSTemporaryDirectory() + "baton-server-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let baton = try await TestBaton(
            directory: directory,
            storage: storage,
            clock: clock,
            durability: durability,
            retention: retention
        )
        do {
            let result = try await body(baton)
            await baton.stop()
            return result
        } catch {
            await baton.stop()
            throw error
        }
    }

    private func stop() async {
        await client.close()
        await server.shutdown()
        await closeStore()
    }

    /// Rows of `table` in the store, read on a connection of the test's own.
    func rowCount(_ table: String) async throws -> Int {
        switch storage {
        case .sqlite(let folder):
            let database = try DatabaseQueue(path: "\(folder)/data/baton.sqlite")
            defer { try? database.close() }
            return try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
        case .postgres(let database):
            let count = try await database.psql("SELECT COUNT(*) FROM \(table)")
            return try #require(Int(count), "psql answered \(count)")
        }
    }

    /// A unary call of `method` (e.g. "Chats/TransferChat") of baton.v1.
    func call<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: String,
        _ request: Request,
        as: Response.Type = Response.self,
        requestID: String = ""
    ) async throws -> Response {
        let metadata: RPCMetadata = requestID.isEmpty ? [:] : ["request-id": requestID]
        return try await client.unary("/baton.v1.\(method)", request, as: Response.self, metadata: metadata)
    }

    /// Every event in the log, read from the store.
    func allEvents() async throws -> [Baton_V1_Event] {
        try await handoff.events(after: 0, limit: 1_000_000)
    }
}

/// `RPCServer.start()` narrows the process umask around `bind`; starts take turns so parallel
/// tests cannot restore each other's umask.
private actor ServerStartTurns {
    static let shared = ServerStartTurns()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run(_ body: @Sendable () async throws -> Void) async throws {
        if busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        defer { if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() } }
        try await body()
    }
}

/// Runs `body`, expecting an `RPCError` with `code` and ErrorInfo `reason`; returns the error.
@discardableResult
func expectError<T>(
    _ code: RPCError.Code,
    _ reason: Baton_V1_ErrorReason,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> RPCError? {
    do {
        let value = try await body()
        Issue.record("expected \(code.name) \(reason), got success: \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        #expect(error.code == code, "got \(error)", sourceLocation: sourceLocation)
        #expect(error.detail(Baton_V1_ErrorInfo.self)?.reason == reason, "got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected RPCError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
