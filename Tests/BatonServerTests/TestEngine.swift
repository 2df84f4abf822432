import BatonTestSupport
import Foundation
import Testing

/// The engines every domain rule must hold on: the contract suites run once for each
/// (`@Test(arguments: TestEngine.allCases)`).
enum TestEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Where a TestBaton keeps its state. It outlives the TestBaton, so that a test can start a
/// second one on what the first left (a restart).
enum TestStorage: Sendable {
    /// PostgreSQL tests take turns (see `ConcurrencyLimit`).
    private static let postgresTurns = ConcurrencyLimit(8)

    /// A folder whose `data/baton.sqlite` is the database.
    case sqlite(folder: String)
    /// A database of its own on the shared PostgreSQL test cluster.
    case postgres(PostgresDatabase)

    /// Runs `body` with fresh, empty storage of `engine`, then removes a SQLite folder.
    static func with<T>(_ engine: TestEngine, _ body: (TestStorage) async throws -> T) async throws -> T {
        switch engine {
        case .sqlite:
            let folder = NSTemporaryDirectory() + "baton-server-test-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            return try await body(.sqlite(folder: folder))
        case .postgres:
            // Not dropped afterwards: DROP DATABASE waits for a checkpoint (most of a second),
            // and the databases go with the cluster when the test process ends.
            await postgresTurns.acquire()
            do {
                let result = try await body(.postgres(try await PostgresCluster.shared().makeDatabase()))
                await postgresTurns.release()
                return result
            } catch {
                await postgresTurns.release()
                throw error
            }
        }
    }
}
