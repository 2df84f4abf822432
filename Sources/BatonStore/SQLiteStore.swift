import Baton
import BatonProtos
import Foundation
import GRDB
import Synchronization

/// The embedded store: one SQLite file in WAL mode. Rows keep the columns queries need and the
/// serialized proto in a BLOB, so new schema fields need no migration.
public final class SQLiteStore: BatonStore {
    /// How hard a commit tries to survive failures.
    public enum Durability: Sendable {
        /// `synchronous=NORMAL`: a commit survives the process being killed at any moment; the
        /// last commits may be lost on power loss. The default.
        case processCrash
        /// `synchronous=FULL`: every commit is synced to disk and survives power loss too.
        case powerLoss
    }

    private let pool: DatabasePool
    /// Writes waiting for the writer, and whether it is draining them.
    private let queue = Mutex<(jobs: [WriteJob], draining: Bool)>(([], false))
    private let committedTransactions = Atomic<Int>(0)
    /// Calls of `write` that have not returned yet.
    private let writesInProgress = Atomic<Int>(0)
    /// Whether a write alone may run on its caller's thread: only when commits do not sync. A
    /// caller's thread may be an event loop, which must not wait for a disk sync (milliseconds
    /// on some disks) while its other connections wait.
    private let writesAloneRunOnCallerThread: Bool
    private let checkpointer: Checkpointer
    /// Commits between two background checkpoints. A checkpoint copies the last version of each
    /// page written since the previous one: the pages every commit rewrites (the file header,
    /// index interiors, the log's last leaves) are copied once per checkpoint, so spacing them
    /// out saves work. 256 transfer commits leave about 15 MB in the WAL.
    private static let checkpointEvery = 256
    /// WAL pages after which the writer checkpoints by itself, the background checkpoints not
    /// having let the WAL restart (under sustained writes they never catch up with the last
    /// commit): so the WAL file stays under about 80 MB.
    private static let fallbackCheckpointPages = 20_000
    /// The database file.
    public let path: String
    private let lock: DatabaseLock
    private let notices: @Sendable (StoreNotice) -> Void
    /// The fault episode in progress; moved on by the writer's outcomes, in commit order.
    private let episodes = Mutex(FaultEpisodes())

    /// Opens (creating and migrating when needed) the database at `path`, creating its folder
    /// (0700) and its files (0600), and takes its lock: one process at a time. `notices` hears
    /// what the operator should know (a loose folder mode, a full disk and its end), on the
    /// thread that noticed it.
    public init(
        path: String,
        durability: Durability = .processCrash,
        notices: @escaping @Sendable (StoreNotice) -> Void = { _ in }
    ) throws(StoreOpenFailure) {
        let looseFolder = try DatabaseFiles.createFolder(of: path)
        let lock = try DatabaseLock(databasePath: path)
        try DatabaseFiles.restrict(path)
        do {
            pool = try Self.openPool(path: path, durability: durability)
            try Migrations.migrator.migrate(pool)
            // Checkpoints run on their own connection, off the commit path (see `Checkpointer`); the
            // writer only checkpoints itself if the WAL grows far past that, on its own queue:
            // SQLite's automatic checkpoint is off, as it would run inside a COMMIT, maybe on a
            // caller's thread (batond's event loop), copying and syncing up to 80 MB there.
            // Each write of a group commit runs in a savepoint, whose journal (the original of
            // every page the write changes) SQLite otherwise spills to a temporary file past 64 KiB:
            // a file created, written and deleted per batch. In memory it is a few page copies.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
            checkpointer = try Checkpointer(path: path, durability: durability, fallbackAfter: Self.fallbackCheckpointPages)
        } catch {
            lock.release()
            throw .sqlite(error, path)
        }
        self.path = path
        self.writesAloneRunOnCallerThread = durability == .processCrash
        self.lock = lock
        self.notices = notices
        if let looseFolder { notices(.looseFolderMode(folder: looseFolder.path, mode: looseFolder.mode)) }
    }

    /// A GRDB pool on `path` in WAL mode with `durability`'s `synchronous` level: how the store
    /// opens its file (the transfer benchmark's baseline opens its own the same way).
    public static func openPool(path: String, durability: Durability) throws -> DatabasePool {
        let synchronous = durability == .powerLoss ? "FULL" : "NORMAL"
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool sets synchronous=NORMAL on its writer when it turns WAL on, after
        // prepareDatabase ran: set the level on the writer itself, or FULL would not hold.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        return pool
    }

    /// `$XDG_DATA_HOME/baton/baton.sqlite`, else `~/.local/share/baton/baton.sqlite`, or
    /// `/var/lib/baton/baton.sqlite` as root: a place that survives reboots, unlike the socket's
    /// runtime folder.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if getuid() == 0 { return "/var/lib/baton/baton.sqlite" }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return "\(data)/baton/baton.sqlite" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(home)/.local/share/baton/baton.sqlite"
    }

    /// Runs `body` in a write transaction and returns once it is committed.
    ///
    /// Group commit: writes that arrive while another is running wait in a queue, and the writer
    /// then runs all of them in one SQLite transaction, each in its own savepoint, and commits
    /// once. A body that throws rolls back only its savepoint and gets its error; the others
    /// commit. Every caller resumes only after the commit (or with the error that ended the
    /// transaction). A write that arrives alone runs in a transaction of its own, on the caller's
    /// thread unless commits sync (`powerLoss`) or the WAL is due for the writer's own checkpoint.
    ///
    /// SQLite's errors come as a `StoreFailure`; the body's own as it threw them.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let alone = writesInProgress.add(1, ordering: .relaxed).oldValue == 0
        defer { writesInProgress.subtract(1, ordering: .relaxed) }
        do {
            let onCallerThread = alone && writesAloneRunOnCallerThread && !checkpointer.fallbackDue
            return try await enqueue(body, onCallerThread: onCallerThread)
        } catch let error as DatabaseError {
            throw StoreFailure(sqlite: error)
        }
    }

    /// Queues `body` for the writer and waits until its transaction ended. `onCallerThread`: when
    /// the writer is idle, the transaction runs on this thread.
    private func enqueue<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction) throws -> T,
        onCallerThread: Bool
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = WriteJob(
                run: { db in
                    let result: Result<T, any Error>
                    do {
                        let transaction = SQLiteTransaction(db: db)
                        let value = try body(transaction)
                        try transaction.flush()
                        result = .success(value)
                    } catch {
                        result = .failure(error)
                    }
                    switch result {
                    case .failure(let error):
                        return WriteOutcome(error: error) { _ in continuation.resume(throwing: error) }
                    case .success(let value):
                        return WriteOutcome(error: nil) { commitError in
                            if let commitError {
                                continuation.resume(throwing: commitError)
                            } else {
                                continuation.resume(returning: value)
                            }
                        }
                    }
                },
                fail: { error in continuation.resume(throwing: error) }
            )
            // A write alone runs its transaction on this thread: handing it to the writer's queue
            // and resuming the caller from there cost two thread wake-ups, more than a small
            // transaction itself. It never joins the queue, so writes that queue up meanwhile go
            // to the writer's queue and a caller blocks its thread for its own transaction only.
            // While other writes are in progress the writer's queue takes this one too: by the
            // time it runs, the callers just resumed have queued their next writes behind it, and
            // they commit together.
            let start = queue.withLock { state -> DrainStart in
                if state.draining {
                    state.jobs.append(job)
                    return .alreadyDraining
                }
                state.draining = true
                if onCallerThread { return .callerThread }
                state.jobs.append(job)
                return .writerQueue
            }
            switch start {
            case .alreadyDraining:
                return
            case .callerThread:
                pool.writeWithoutTransaction { db in runAloneThenHandOff(job, db) }
            case .writerQueue:
                pool.asyncWriteWithoutTransaction { [self] db in drain(db) }
            }
        }
    }

    /// Who runs the writes queued now.
    private enum DrainStart {
        /// The writer is draining already.
        case alreadyDraining
        case callerThread
        case writerQueue
    }

    /// Runs `job` alone, then leaves the writes queued meanwhile to the writer's queue.
    private func runAloneThenHandOff(_ job: WriteJob, _ db: Database) {
        run([job], db)
        let idle = queue.withLock { state -> Bool in
            if state.jobs.isEmpty { state.draining = false }
            return !state.draining
        }
        if !idle { pool.asyncWriteWithoutTransaction { [self] db in drain(db) } }
    }

    /// Runs queued writes, a batch per transaction, until the queue is empty; checkpoints first
    /// when the WAL has grown too long (see `Checkpointer.fallbackDue`).
    private func drain(_ db: Database) {
        while true {
            if checkpointer.fallbackDue { checkpointer.checkpointFallback(db) }
            let batch = nextBatch()
            if batch.isEmpty { return }
            run(batch, db)
        }
    }

    /// The next writes to commit together; empty when none wait, the writer then idle.
    private func nextBatch() -> [WriteJob] {
        queue.withLock { state -> [WriteJob] in
            let batch = Array(state.jobs.prefix(Self.maxBatch))
            state.jobs.removeFirst(batch.count)
            if batch.isEmpty { state.draining = false }
            return batch
        }
    }

    /// The most writes committed together.
    private static let maxBatch = 64

    /// Runs `batch` in one transaction (a savepoint each when there are several), commits, then
    /// resumes every caller.
    private func run(_ batch: [WriteJob], _ db: Database) {
        // Writes whose body succeeded in the open transaction: resumed once it commits.
        var pending: [WriteOutcome] = []
        // The rows those writes changed. Counted per write, because SQLite's total also counts
        // the rows of savepoints rolled back and of transactions abandoned, which prove nothing
        // about the disk taking writes.
        var pendingChanges = 0
        var open = false
        /// Fails the writes of the open transaction, which will not commit, and rolls it back;
        /// `calls` more calls than those fail with `error`.
        func abandon(_ error: any Error, alsoFailing calls: Int) {
            observe(error, failing: pending.count + calls)
            try? db.rollback()
            for outcome in pending { outcome.finish(error) }
            pending = []
            pendingChanges = 0
            open = false
        }
        let savepoints = batch.count > 1
        for job in batch {
            do {
                if !open {
                    try control("BEGIN IMMEDIATE TRANSACTION", db)
                    open = true
                }
                if savepoints { try control("SAVEPOINT baton_write", db) }
            } catch {
                abandon(error, alsoFailing: 1)
                job.fail(error)
                continue
            }
            let changesBefore = db.totalChangesCount
            let outcome = job.run(db)
            guard let error = outcome.error else {
                pending.append(outcome)
                pendingChanges += db.totalChangesCount - changesBefore
                if savepoints {
                    do { try control("RELEASE SAVEPOINT baton_write", db) } catch { abandon(error, alsoFailing: 0) }
                }
                continue
            }
            // The body threw: undo its work only, unless SQLite already ended the transaction.
            if !db.isInsideTransaction {
                abandon(error, alsoFailing: 1)
            } else if savepoints {
                observe(error, failing: 1)
                do {
                    try control("ROLLBACK TO SAVEPOINT baton_write", db)
                    try control("RELEASE SAVEPOINT baton_write", db)
                } catch {
                    abandon(error, alsoFailing: 0)
                }
            } else {
                abandon(error, alsoFailing: 1)
            }
            outcome.finish(nil)
        }
        guard open else { return }
        do {
            try control("COMMIT TRANSACTION", db)
        } catch {
            abandon(error, alsoFailing: 0)
            return
        }
        let commits = committedTransactions.add(1, ordering: .relaxed).newValue
        if pendingChanges > 0, let notice = episodes.withLock({ $0.committedChanges(at: .now) }) {
            notices(notice)
        }
        for outcome in pending { outcome.finish(nil) }
        if commits % Self.checkpointEvery == 0 { checkpointer.schedule() }
    }

    /// Runs a transaction or savepoint statement, compiled once per connection: `Database`'s own
    /// `beginTransaction()` and `commit()` compile theirs on every call, several times per batch.
    private func control(_ sql: String, _ db: Database) throws {
        try db.cachedStatement(sql: sql).execute()
    }

    /// Reports a failure of `calls` calls to the operator, once per episode. A body's
    /// `BatonError` is no failure, nor a cancelled call (a shutdown cancels the sweep); any
    /// other error is a fault (a row that does not decode, a bug).
    private func observe(_ error: any Error, failing calls: Int) {
        guard !(error is BatonError), !(error is CancellationError),
            (error as? DatabaseError)?.isInterruptionError != true
        else { return }
        let failure = StoreFailure(sqlite: error)
        if let notice = episodes.withLock({ $0.failed(failure, calls: calls, at: .now) }) { notices(notice) }
    }

    /// How many writes wait for the writer, for tests of group commit.
    public func queuedWriteCount() -> Int { queue.withLock { $0.jobs.count } }

    /// How many write transactions committed, for tests of group commit.
    public func committedTransactionCount() -> Int { committedTransactions.load(ordering: .relaxed) }

    /// SQLite's errors come as a `StoreFailure`; the body's own as it threw them.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReader) throws -> T) async throws -> T {
        do {
            return try await pool.read { db in try body(SQLiteTransaction(db: db)) }
        } catch {
            observe(error, failing: 1)
            if let error = error as? DatabaseError { throw StoreFailure(sqlite: error) }
            throw error
        }
    }

    /// The SQLite `synchronous` setting of the connection that commits (1 NORMAL, 2 FULL).
    public func synchronousSetting() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The journal mode in effect ("wal"), for tests.
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// Closes the database; the store must not be used afterwards. Its WAL is first copied into
    /// the database and emptied. The lock is released only once every connection closed: when
    /// closing fails, connections may still write, and a second batond must not open the file
    /// alongside them.
    public func close() throws {
        checkpointer.close()
        // SQLite would do this itself on the last close, but GRDB closes the writer before its
        // read-only readers, which cannot. A checkpoint that fails (a full disk) loses nothing:
        // the next open replays the WAL.
        _ = try? pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try pool.close()
        lock.release()
    }
}

/// How one write's body ended, and how to resume its caller once its transaction ends.
private struct WriteOutcome {
    /// The body's error, nil when it returned.
    let error: (any Error)?
    /// Resumes the caller given how the transaction ended: nil when it committed. A body that
    /// threw always gets its own error.
    let finish: @Sendable ((any Error)?) -> Void
}

/// A queued write.
private final class WriteJob: Sendable {
    /// Runs the body on the writer connection, inside the open transaction.
    let run: @Sendable (Database) -> WriteOutcome
    /// Resumes the caller with `error` without running the body.
    let fail: @Sendable (any Error) -> Void

    init(run: @escaping @Sendable (Database) -> WriteOutcome, fail: @escaping @Sendable (any Error) -> Void) {
        self.run = run
        self.fail = fail
    }
}

/// Copies committed pages from the WAL into the database file on a connection of its own, so a
/// commit never waits for a checkpoint (its page writes and syncs). Durability is unchanged: a
/// commit is in the WAL either way, and the checkpoint syncs as the writer's would.
/// PASSIVE: it never blocks or waits for the writer or readers.
private final class Checkpointer: Sendable {
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "baton.sqlite.checkpoint")
    private let scheduled = Atomic<Bool>(false)
    /// WAL pages from which the writer must checkpoint itself.
    private let fallbackPages: Int
    private let fallbackWanted = Atomic<Bool>(false)

    init(path: String, durability: SQLiteStore.Durability, fallbackAfter pages: Int) throws {
        let synchronous = durability == .powerLoss ? "FULL" : "NORMAL"
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        connection = try DatabaseQueue(path: path, configuration: configuration)
        fallbackPages = pages
    }

    /// Whether the last checkpoint found the WAL at `fallbackAfter` pages or more: only the
    /// writer, checkpointing between two commits, lets it restart then. Until it did, every
    /// write goes to the writer's queue, never checkpointing on a caller's thread.
    var fallbackDue: Bool { fallbackWanted.load(ordering: .acquiring) }

    /// The writer's own checkpoint, on `db`, the writer connection, on its queue.
    func checkpointFallback(_ db: Database) {
        fallbackWanted.store(false, ordering: .releasing)
        _ = try? db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// Runs a checkpoint soon, unless one is already waiting to run.
    func schedule() {
        guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [self] in
            scheduled.store(false, ordering: .releasing)
            // (busy, WAL pages, pages copied): the WAL's length.
            let walPages = try? connection.writeWithoutTransaction { db in
                try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)").map { row -> Int in row[1] }
            }
            if let walPages, walPages >= fallbackPages {
                fallbackWanted.store(true, ordering: .releasing)
            }
        }
    }

    /// Waits for a running checkpoint and closes the connection.
    func close() {
        queue.sync {}
        try? connection.close()
    }
}
