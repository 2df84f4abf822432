import Baton
import BatonProtos
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The shared store: every batond of a deployment on one PostgreSQL database.
///
/// The domain's bodies are synchronous; PostgresNIO is async. A write leases a pooled
/// connection, opens a READ COMMITTED transaction and replays its body (see
/// `StagedTransaction`): each run answers the reads earlier runs asked, the first new read is
/// asked on the connection, and the body runs again, until it returns; its writes and events
/// are then applied and the transaction commits. The reads take the locks that keep the body's
/// checks true until commit (see `PostgresSession`), so concurrent writers on any host behave as
/// if run one after the other. Conflicts the server detects (deadlocks, a key or a booked slot
/// taken first) run the write again from the start, a bounded number of times.
///
/// A dedicated connection LISTENs for commits of every batond and wakes this one's watchers
/// (`signal`). It also tells whether the server is there: while it cannot connect, calls fail
/// at once as unreachable (UNAVAILABLE) instead of waiting on the pool, `availability` says
/// so, and a probe notices the server back within a second.
public final class PostgresStore: BatonStore, Service {
    private let url: PostgresURL
    private let signal: EventSignal
    private let logger: Logger
    private let state: Mutex<State>
    private let replacements: AsyncStream<Void>.Continuation
    private let replacementRequests: AsyncStream<Void>
    private let availabilityContinuation: AsyncStream<Bool>.Continuation

    /// Whether the store can serve calls, each time it changes (starting unavailable until the
    /// schema is migrated). For one consumer: batond's health status.
    public let availability: AsyncStream<Bool>

    /// How many times a write that lost to a concurrent writer is run; then it fails as ABORTED.
    static let maxAttempts = 20
    /// How long a call waits for a pooled connection before the server counts as unreachable.
    static let leaseTimeout: Duration = .seconds(5)

    private struct State {
        var client: PostgresClient
        /// The LISTEN connection is up and the schema migrated.
        var listening = false
        /// No call found the server unreachable since the last probe that reached it.
        var poolAnswers = true
        var announced = false
        var available: Bool { listening && poolAnswers }
    }

    /// Parses `url` (throws PostgresURLError, whose description names the problem, no password).
    public init(url: String, signal: EventSignal, logger: Logger) throws {
        let url = try PostgresURL(url)
        self.url = url
        self.signal = signal
        self.logger = logger
        state = Mutex(State(client: try Self.makeClient(url, logger: logger)))
        (replacementRequests, replacements) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        (availability, availabilityContinuation) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(1))
        availabilityContinuation.yield(false)
    }

    private static func makeClient(_ url: PostgresURL, logger: Logger) throws -> PostgresClient {
        var configuration = try url.clientConfiguration()
        configuration.options.maximumConnections = 32
        configuration.options.connectTimeout = .seconds(5)
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Where it connects, the password masked.
    public var location: String { url.description }

    // MARK: Running

    /// Runs the pool and the LISTEN connection until cancelled or graceful shutdown.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await self.superviseClients() }
                group.addTask { try await self.listen() }
                group.addTask { await self.probe() }
            }
        }
    }

    /// Creates or upgrades the schema; waits/retries until the server answers; idempotent;
    /// safe from several processes at once.
    public func migrate() async throws {
        while true {
            do {
                let connection = try await connect()
                do {
                    try await PostgresMigrations.migrate(on: connection, logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
                return
            } catch let error as PostgresSchemaTooNew {
                throw error
            } catch where PostgresFailure(error) == .unreachable {
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: url.connectionConfiguration(),
            id: 0,
            logger: logger
        )
    }

    /// Runs the current pool, and each one that replaces it (see `probe`). A replaced pool is
    /// cancelled without waiting for it to end: its calls may still be finishing, and the new
    /// pool must run meanwhile.
    private func superviseClients() async {
        var requests = replacementRequests.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            var retire = Self.start(state.withLock { $0.client }, in: &group)
            while await requests.next() != nil {
                retire()
                retire = Self.start(state.withLock { $0.client }, in: &group)
            }
            retire()
        }
    }

    /// Runs `client` in `group` until the returned function is called (or the group cancelled).
    private static func start(_ client: PostgresClient, in group: inout DiscardingTaskGroup) -> () -> Void {
        let (retirement, retire) = AsyncStream<Void>.makeStream()
        group.addTask {
            await withDiscardingTaskGroup { running in
                running.addTask { await client.run() }
                for await _ in retirement {}
                running.cancelAll()
            }
        }
        return { retire.finish() }
    }

    /// Keeps one connection LISTENing for commits, migrating the schema on each (re)connect,
    /// and wakes watchers on every notification and after every reconnect (one may have been
    /// missed meanwhile; watchers re-read from their cursor, so a spurious wake is harmless).
    private func listen() async throws {
        var wasDown = false
        while !Task.isCancelled {
            do {
                let connection = try await connect()
                do {
                    try await PostgresMigrations.migrate(on: connection, logger: logger)
                    try await connection.listen(on: PostgresSession.eventChannel) { notifications in
                        update { $0.listening = true }
                        if wasDown { logger.info("the database server answers again") }
                        wasDown = false
                        signal.notify()
                        for try await _ in notifications { signal.notify() }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch let error as PostgresSchemaTooNew {
                throw error
            } catch {
                if Task.isCancelled { return }
                if !wasDown {
                    logger.warning(
                        "the database server cannot be reached; calls fail until it answers",
                        metadata: ["url": "\(url)", "error": "\(PostgresFailure.storeFailure(error).detail)"]
                    )
                }
                wasDown = true
            }
            update { $0.listening = false }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// While the LISTEN connection is up but calls found the server unreachable, asks it every
    /// second through the pool; a pool that still cannot reach a server that answers (it backs
    /// off reconnecting for up to a minute) is replaced by a new one.
    private func probe() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let needed = state.withLock { $0.listening && !$0.poolAnswers }
            guard needed else { continue }
            do {
                _ = try await withLeasedConnection { connection in
                    try await connection.query("SELECT 1", logger: self.logger)
                }
                update { $0.poolAnswers = true }
            } catch {
                let client = try? Self.makeClient(url, logger: logger)
                if let client {
                    state.withLock { $0.client = client }
                    replacements.yield()
                }
            }
        }
    }

    private func update(_ change: (inout State) -> Void) {
        let (available, changed) = state.withLock { state -> (Bool, Bool) in
            change(&state)
            let changed = state.available != state.announced
            state.announced = state.available
            return (state.available, changed)
        }
        guard changed else { return }
        availabilityContinuation.yield(available)
        // A watcher whose read failed while the store was away waits for a wake; commits made
        // meanwhile may have notified nobody.
        if available { signal.notify() }
    }

    // MARK: Transactions

    /// Runs `body` in a write transaction, committed if `body` returns and rolled back if it throws.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await perform(writing: true) { log in
            let transaction = StagedTransaction(log: log)
            return (try body(transaction), transaction.events)
        }
    }

    /// Runs `body` on one snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReader) throws -> T) async throws -> T {
        try await perform(writing: false) { log in (try body(StagedTransaction(log: log)), []) }
    }

    /// One run of a body over `log`: its value and the events it appended.
    private typealias Replay<T> = @Sendable (ReplayLog) throws -> (T, [Baton_V1_Event])

    private func perform<T: Sendable>(writing: Bool, _ replay: @escaping Replay<T>) async throws -> T {
        var attempt = 1
        var reconnected = false
        while true {
            guard state.withLock({ $0.available }) else {
                throw StoreFailure(.unreachable, detail: "no connection to the database server")
            }
            do {
                switch try await transaction(writing: writing, replay) {
                case .success(let value): return value
                case .failure(let error): throw BodyError(error: error)
                }
            } catch let error as BodyError {
                throw error.error
            } catch {
                let failure = error as? Interrupted ?? Interrupted(error: error, commitSent: false)
                let kind = PostgresFailure(failure.error)
                switch kind {
                case .conflict where attempt < Self.maxAttempts:
                    attempt += 1
                    // Jittered, so writers that deadlocked do not meet again at once.
                    try await Task.sleep(for: .microseconds(Int.random(in: 100...(500 * attempt))))
                    continue
                case .unreachable where !failure.commitSent && !reconnected:
                    // A pooled connection the server closed while idle: one more try on another.
                    reconnected = true
                    continue
                case .unreachable:
                    update { $0.poolAnswers = false }
                default:
                    break
                }
                throw PostgresFailure.storeFailure(failure.error)
            }
        }
    }

    /// A body's own error, passed through untouched.
    private struct BodyError: Error {
        let error: any Error
    }

    /// The driver's or the server's error, and whether COMMIT had been sent (its outcome is then
    /// unknown).
    private struct Interrupted: Error {
        let error: any Error
        let commitSent: Bool
    }

    /// One transaction: the body's value or its error; throws `Interrupted` when the driver or
    /// the server failed.
    private func transaction<T: Sendable>(
        writing: Bool,
        _ replay: @escaping Replay<T>
    ) async throws -> Result<T, any Error> {
        try await withLeasedConnection { connection in
            let session = PostgresSession(connection: connection, logger: self.logger, locking: writing)
            var commitSent = false
            do {
                try await connection.query(
                    writing ? "BEGIN ISOLATION LEVEL READ COMMITTED" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                    logger: self.logger
                )
                let log = ReplayLog()
                while true {
                    let value: T
                    let events: [Baton_V1_Event]
                    do {
                        (value, events) = try replay(log)
                    } catch let miss as StagedReadMiss {
                        try await session.apply(log.takeUnsentWrites())
                        log.append(.read(miss.read, try await session.answer(miss.read)))
                        continue
                    } catch {
                        try await connection.query("ROLLBACK", logger: self.logger)
                        return .failure(error)
                    }
                    try await session.applyAndNumber(log.takeUnsentWrites(), events: events)
                    commitSent = true
                    try await connection.query("COMMIT", logger: self.logger)
                    return .success(value)
                }
            } catch {
                // The transaction is aborted, or the connection gone: roll back what is left, or
                // close a connection that cannot, so the pool never lends it inside a transaction.
                if !connection.isClosed {
                    do {
                        try await connection.query("ROLLBACK", logger: self.logger)
                    } catch {
                        try? await connection.close()
                    }
                }
                throw Interrupted(error: error, commitSent: commitSent)
            }
        }
    }

    /// Runs `body` on a pooled connection; waiting for one longer than `leaseTimeout` counts
    /// as the server being unreachable (the pool itself waits up to a minute).
    ///
    /// The wait is abandoned without waiting for the pool to take the request back: a pool
    /// that was replaced, or is stuck reconnecting, may never answer it. A connection the
    /// abandoned request gets later is handed back unused.
    private func withLeasedConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = state.withLock { $0.client }
        let lease = LeaseWait<T>()
        let work = Task<Void, Never> {
            do {
                let value = try await client.withConnection { connection in
                    guard lease.claim() else { throw LeaseTimeout() }
                    return try await body(connection)
                }
                lease.finish(.success(value))
            } catch {
                lease.finish(.failure(error))
            }
        }
        let timer = Task {
            try await Task.sleep(for: Self.leaseTimeout)
            if lease.abandon() { work.cancel() }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in lease.resume(continuation) }
        } onCancel: {
            work.cancel()
        }
    }
}

/// A call waiting for a pooled connection: it either gets one (`claim`) or gives up waiting
/// (`abandon`), never both; its caller resumes once, with the work's result or the timeout.
private final class LeaseWait<T: Sendable>: Sendable {
    private struct State {
        var leased = false
        var outcome: Result<T, any Error>?
        var continuation: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    /// True when the call may use the connection it got: it has not given up.
    func claim() -> Bool {
        state.withLock { state in
            guard state.outcome == nil else { return false }
            state.leased = true
            return true
        }
    }

    /// Gives up unless a connection came; true when it gave up.
    func abandon() -> Bool {
        let gaveUp = state.withLock { state -> Bool in
            guard !state.leased, state.outcome == nil else { return false }
            state.outcome = .failure(LeaseTimeout())
            return true
        }
        if gaveUp { deliver() }
        return gaveUp
    }

    /// The work's own outcome, unless the call gave up first.
    func finish(_ outcome: Result<T, any Error>) {
        let first = state.withLock { state -> Bool in
            guard state.outcome == nil else { return false }
            state.outcome = outcome
            return true
        }
        if first { deliver() }
    }

    func resume(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
        deliver()
    }

    /// Resumes the caller once both its continuation and an outcome are there.
    private func deliver() {
        let ready = state.withLock { state -> (CheckedContinuation<T, any Error>, Result<T, any Error>)? in
            guard let continuation = state.continuation, let outcome = state.outcome else { return nil }
            state.continuation = nil
            return (continuation, outcome)
        }
        if let (continuation, outcome) = ready { continuation.resume(with: outcome) }
    }
}

/// No pooled connection within `PostgresStore.leaseTimeout`.
struct LeaseTimeout: Error {}

extension PostgresFailure: Equatable {}
