import Baton
import BatonProtos
import BatonRPC
import BatonServer
import BatonStore
import Foundation
import Logging
import Testing

/// A real batond in miniature for one test: a SQLite store in its own temporary folder, a
/// manual clock, the Reps, Chats, Events and Calendars services on a Unix socket, and a client.
final class TestBaton: Sendable {
    let directory: String
    let clock: ManualClock
    let store: SQLiteStore
    let handoff: Handoff
    let server: RPCServer
    let client: RPCClient

    var databasePath: String { "\(directory)/data/baton.sqlite" }

    private init(
        directory: String,
        clock: ManualClock,
        durability: SQLiteStore.Durability,
        retention: Retention
    ) async throws {
        self.directory = directory
        self.clock = clock
        store = try SQLiteStore(path: "\(directory)/data/baton.sqlite", durability: durability)
        handoff = Handoff(store: store, clock: clock, defaultRequestTTL: 120, retention: retention)
        var configuration = RPCServerConfiguration(socketPath: "\(directory)/rpc.sock")
        configuration.eventLoopThreads = 1
        configuration.shutdownGracePeriod = .seconds(2)
        server = RPCServer(
            configuration: configuration,
            services: [
                RepsService(handoff: handoff), ChatsService(handoff: handoff), EventsService(handoff: handoff),
                CalendarsService(handoff: handoff),
            ],
            logger: Logger(label: "baton-server-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await ServerStartTurns.shared.run { [server] in try await server.start() }
        client = try await RPCClient.connect(socketPath: configuration.socketPath)
    }

    /// Runs `body` with a fresh server over a fresh database, then stops it and removes the folder.
    static func with<T>(
        clock: ManualClock = ManualClock(),
        durability: SQLiteStore.Durability = .processCrash,
        retention: Retention = .forever,
        _ body: (TestBaton) async throws -> T
    ) async throws -> T {
        let directory = NSTemporaryDirectory() + "baton-server-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await reopen(directory: directory, clock: clock, durability: durability, retention: retention, body)
    }

    /// Runs `body` with a server over the database already in `directory`, then stops it.
    static func reopen<T>(
        directory: String,
        clock: ManualClock = ManualClock(),
        durability: SQLiteStore.Durability = .processCrash,
        retention: Retention = .forever,
        _ body: (TestBaton) async throws -> T
    ) async throws -> T {
        let baton = try await TestBaton(
            directory: directory,
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
        try? store.close()
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
