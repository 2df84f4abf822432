import Baton
import BatonProtos
import BatonStore
import Dispatch
import Foundation
import Synchronization
import Testing

/// Writes that queue up behind a running one commit together, each in its own savepoint.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable {}

    private static func team(_ id: String) -> Baton_V1_Team {
        var team = Baton_V1_Team()
        team.id = id
        team.name = "Team \(id)"
        return team
    }

    @Test func concurrentWritesWhereOneThrowsCommitTheOthersAndResumeOnlyAfterTheCommit() async throws {
        let directory = NSTemporaryDirectory() + "baton-group-commit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: "\(directory)/baton.sqlite")
        defer { try? store.close() }

        // A first write holds the writer until every other write has queued behind it.
        let started = Atomic<Bool>(false)
        let release = DispatchSemaphore(value: 0)
        let blocker = Task {
            try await store.write { transaction in
                try transaction.save(Self.team("first"))
                started.store(true, ordering: .releasing)
                release.wait()
            }
        }
        while !started.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        let commitsBefore = store.committedTransactionCount()

        let count = 10
        let failing = 4
        let writes = (0..<count).map { index in
            Task { () -> Result<Bool, any Error> in
                do {
                    try await store.write { transaction in
                        try transaction.save(Self.team("t\(index)"))
                        if index == failing { throw Refused() }
                    }
                } catch {
                    return .failure(error)
                }
                // Resumed: the write must already be committed, seen from another connection.
                return .success(try await store.read { reader in try reader.team("t\(index)") != nil })
            }
        }
        while store.queuedWriteCount() < count { try await Task.sleep(for: .milliseconds(1)) }
        release.signal()
        try await blocker.value

        for (index, write) in writes.enumerated() {
            switch try await write.value {
            case .success(let visible):
                #expect(index != failing)
                #expect(visible, "write \(index) resumed before its commit was visible")
            case .failure(let error):
                #expect(index == failing)
                #expect(error as? Refused == Refused())
            }
        }
        // The first write, then the queued ones together in one transaction; the failing one
        // left nothing behind.
        #expect(store.committedTransactionCount() - commitsBefore == 2)
        let teams = try await store.read { reader in try reader.teams().map(\.id) }
        let expected = ["first"] + (0..<count).filter { $0 != failing }.map { "t\($0)" }
        #expect(Set(teams) == Set(expected))
        #expect(teams.count == expected.count)
    }

    @Test func aWriteThatThrowsAloneCommitsNothingAndTheNextOneCommits() async throws {
        let directory = NSTemporaryDirectory() + "baton-group-commit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: "\(directory)/baton.sqlite")
        defer { try? store.close() }
        await #expect(throws: Refused.self) {
            try await store.write { transaction in
                try transaction.save(Self.team("lost"))
                throw Refused()
            }
        }
        try await store.write { transaction in try transaction.save(Self.team("kept")) }
        let teams = try await store.read { reader in try reader.teams().map(\.id) }
        #expect(teams == ["kept"])
    }
}
