import BatonTestSupport
import Foundation
import Testing

/// The throwaway PostgreSQL the PostgreSQL tests run on: what they rely on it for.
@Suite struct PostgresClusterTests {
    @Test func aFreshDatabaseAnswersAtItsURL() async throws {
        let database = try await PostgresCluster.shared().makeDatabase()
        let programs = try #require(
            try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").sorted().last
        )
        // The URL as batond takes it, through libpq's own parser.
        let psql = try ChildProcess.run(
            URL(fileURLWithPath: "/usr/lib/postgresql/\(programs)/bin/psql"),
            [
                "-X", "-A", "-t", "-c",
                "SELECT current_database(), count(*) FROM pg_tables WHERE schemaname = 'public'", database.url,
            ]
        )
        #expect(psql.exited(with: 0), "\(psql.standardError)")
        #expect(psql.standardText == "\(database.name)|0\n")
    }

    @Test func databasesAreSeparate() async throws {
        let cluster = try await PostgresCluster.shared()
        let first = try await cluster.makeDatabase()
        let second = try await cluster.makeDatabase()
        _ = try await first.psql("CREATE TABLE only_here (id int)")
        #expect(try await second.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'") == "0")
    }

    @Test func aPrivateClusterKeepsItsDataOverARestartAndIsGoneAfterwards() async throws {
        let folder = try await PostgresCluster.withPrivate { cluster in
            let database = try await cluster.makeDatabase()
            _ = try await database.psql("CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)")
            try await cluster.stop()
            await #expect(throws: PostgresClusterFailed.self) { try await database.psql("SELECT 1") }
            try await cluster.start()
            #expect(try await database.psql("SELECT id FROM kept") == "7")
            try await cluster.restart()
            #expect(try await database.psql("SELECT id FROM kept") == "7")
            return cluster.folder
        }
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
