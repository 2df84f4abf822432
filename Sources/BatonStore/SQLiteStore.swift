import Baton
import BatonProtos
import Foundation
import GRDB

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
    /// The database file.
    public let path: String

    /// Opens (creating and migrating when needed) the database at `path`, creating its folder.
    public init(path: String, durability: Durability = .processCrash) throws {
        pool = try Self.openPool(path: path, durability: durability)
        self.path = path
        try Migrations.migrator.migrate(pool)
    }

    /// A GRDB pool on `path` in WAL mode with `durability`'s `synchronous` level, its folder
    /// created: how the store opens its file (the transfer benchmark's baseline opens its own
    /// the same way).
    public static func openPool(path: String, durability: Durability) throws -> DatabasePool {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
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

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await pool.write { db in try body(SQLiteTransaction(db: db)) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReader) throws -> T) async throws -> T {
        try await pool.read { db in try body(SQLiteTransaction(db: db)) }
    }

    /// The SQLite `synchronous` setting of the connection that commits (1 NORMAL, 2 FULL).
    public func synchronousSetting() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The journal mode in effect ("wal"), for tests.
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// Closes the database; the store must not be used afterwards.
    public func close() throws { try pool.close() }
}
