import Baton
@testable import BatonStore
import Foundation
import GRDB
import Testing

/// Migration v5 moves remembered responses into a table in the order they were remembered: a
/// database written before it keeps answering retries the same way.
@Suite struct IdempotencyMigrationTests {
    @Test func responsesRememberedBeforeTheUpgradeStillAnswerRetriesAndTheirKeysStayTaken() async throws {
        let directory = NSTemporaryDirectory() + "baton-idempotency-migration-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/baton.sqlite"
        let old = try DatabasePool(path: path)
        try Migrations.migrator.migrate(old, upTo: "v4")
        try await old.write { db in
            for (key, createdAt) in [("first", 1_000_000), ("second", 2_000_000)] {
                try db.execute(
                    sql: """
                        INSERT INTO idempotency (method, key, fingerprint, response, created_at)
                        VALUES ('TransferChat', ?, ?, ?, ?)
                        """,
                    arguments: [key, Data([1, 2, 3]), Data(key.utf8), createdAt]
                )
            }
        }
        try old.close()

        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let remembered = try await store.read { reader in
            try ["first", "second", "never"].map { try reader.rememberedResponse(method: "TransferChat", key: $0) }
        }
        #expect(remembered.map { $0?.fingerprint } == [[1, 2, 3], [1, 2, 3], nil])
        #expect(remembered.map { $0?.response } == [Array("first".utf8), Array("second".utf8), nil])

        await #expect(throws: StoreFailure.self) {
            try await store.write { transaction in
                try transaction.remember(
                    RememberedResponse(fingerprint: [9], response: [9]),
                    method: "TransferChat",
                    key: "first",
                    at: Date()
                )
            }
        }
        // The sweep forgets the oldest first.
        let forgotten = try await store.write { transaction in
            try transaction.forgetResponses(rememberedBefore: Date(timeIntervalSince1970: 3), limit: 1)
        }
        #expect(forgotten == 1)
        let left = try await store.read { reader in
            try ["first", "second"].map { try reader.rememberedResponse(method: "TransferChat", key: $0) != nil }
        }
        #expect(left == [false, true])
    }
}
