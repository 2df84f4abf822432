@testable import Baton
import BatonProtos
@testable import BatonStore
import Foundation
import GRDB
import Synchronization
import Testing

/// A store whose database SQLite calls read-only at runtime: its writes fail as `readOnly`
/// (UNAVAILABLE for a caller) and the operator hears of it once.
///
/// Why SQLite is told so with `PRAGMA query_only` rather than a really read-only file: batond
/// opens its files read-write at start (or refuses to start, see `BatondExitCodeTests`) and
/// keeps them open, and no runtime change makes SQLite answer SQLITE_READONLY on descriptors
/// already open. Permissions and a read-only bind mount are checked only when a file is
/// opened, even for a non-root uid; `mount -o remount,ro` of the file system is refused (EBUSY)
/// while batond holds files open for writing; and a file system the kernel itself turns
/// read-only, or the immutable flag, fail the WAL's writes, which SQLite reports as
/// SQLITE_IOERR (the disk-failure case of `DiskFullTests`). Tried on tmpfs, as root.
@Suite struct ReadOnlyStoreTests {
    @Test func writesToADatabaseSQLiteCallsReadOnlyFailAsReadOnlyAndAreReportedOnce() async throws {
        let directory = NSTemporaryDirectory() + "baton-read-only-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notices = Mutex<[StoreNotice]>([])
        let store = try SQLiteStore(path: "\(directory)/baton.sqlite") { notice in
            notices.withLock { $0.append(notice) }
        }
        defer { try? store.close() }
        try await store.write { transaction in
            try #require(transaction as? SQLiteTransaction).db.execute(sql: "PRAGMA query_only = ON")
        }

        var team = Baton_V1_Team()
        team.id = "sales"
        team.name = "Sales"
        for _ in 0..<3 {
            do {
                try await store.write { [team] transaction in try transaction.save(team) }
                Issue.record("a read-only database took a write")
            } catch {
                let failure = try #require(error as? StoreFailure, "\(error)")
                #expect(failure.kind == .readOnly, "\(failure)")
                let status = BatonError(storeFailure: failure, writing: true)
                #expect(status.code == .unavailable)
                #expect(status.message == "the store cannot write to its disk; the change was not saved")
            }
        }
        let reported = notices.withLock { $0 }
        #expect(reported.count == 1, "\(reported)")
        guard case .episodeStarted(let failure)? = reported.first else {
            Issue.record("no episode started: \(reported)")
            return
        }
        #expect(failure.kind == .readOnly)
    }
}
