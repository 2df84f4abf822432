import BatonTestSupport
import Foundation
import Testing

/// batond's `--postgres-url` and `BATON_POSTGRES_URL`: refused with EX_USAGE (64) naming the
/// flag or variable when malformed or combined with a SQLite file, never echoing the password;
/// EX_CONFIG (78) on a schema newer than it knows.
@Suite(.serialized) struct BatondPostgresFlagTests {
    private func batond(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcessResult {
        try ChildProcess.run(
            try BuiltProducts.executable("batond"),
            ["--socket", "/tmp/batond-pg-flags-\(getpid()).sock"] + arguments,
            environment: environment,
            timeout: .seconds(30)
        )
    }

    @Test func aPostgresURLWithADatabaseFileIsRefusedNamingBoth() throws {
        let result = try batond(["--postgres-url", "postgres://baton@localhost/baton", "--database", "/tmp/x.sqlite"])
        #expect(result.exited(with: 64), "exit \(result.terminationStatus): \(result.standardError)")
        #expect(result.standardError.contains("--postgres-url and --database cannot be used together"))
    }

    @Test func aMalformedPostgresURLIsRefusedNamingTheFlagButNotThePassword() throws {
        let result = try batond(["--postgres-url", "postgres://baton:hunter2@localhost:99999/baton"])
        #expect(result.exited(with: 64), "exit \(result.terminationStatus): \(result.standardError)")
        #expect(result.standardError.contains("--postgres-url: the PostgreSQL URL is malformed: its port"))
        #expect(!result.standardError.contains("hunter2"))
    }

    @Test func aMalformedURLFromTheEnvironmentIsRefusedNamingTheVariable() throws {
        let result = try batond([], environment: ["BATON_POSTGRES_URL": "mysql://baton:hunter2@localhost/baton"])
        #expect(result.exited(with: 64), "exit \(result.terminationStatus): \(result.standardError)")
        #expect(result.standardError.contains("BATON_POSTGRES_URL: the PostgreSQL URL is malformed"))
        #expect(!result.standardError.contains("hunter2"))
    }

    @Test func aSchemaNewerThanThisBatondExits78NamingTheVersions() async throws {
        let database = try await PostgresCluster.shared().makeDatabase()
        do {
            _ = try await database.psql(
                "CREATE TABLE schema_migrations (version int4 PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO schema_migrations (version) VALUES (99)"
            )
            let result = try batond(["--postgres-url", database.url])
            #expect(result.exited(with: 78), "exit \(result.terminationStatus): \(result.standardError)")
            #expect(result.standardError.contains("the database schema is version 99, newer than this batond knows (1)"))
        }
    }
}
