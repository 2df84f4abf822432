import Baton
import BatonProtos
@testable import BatonRPC
import BatonStore
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Where a write's body runs when its caller is an event loop, as batond's handlers are.
@Suite struct CallerThreadWriteTests {
    private static func team(_ id: String) -> Baton_V1_Team {
        var team = Baton_V1_Team()
        team.id = id
        team.name = "Team \(id)"
        return team
    }

    private static func withStore(
        durability: SQLiteStore.Durability = .processCrash,
        _ body: (SQLiteStore, EventLoopTaskExecutor) async throws -> Void
    ) async throws {
        let directory = NSTemporaryDirectory() + "baton-caller-thread-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: "\(directory)/baton.sqlite", durability: durability)
        defer { try? store.close() }
        try await body(store, EventLoopTaskExecutor(loop: MultiThreadedEventLoopGroup.singleton.next()))
    }

    @Test func writesQueuedWhileACallerThreadWriteIsBlockedAllCommitOffThatThread() async throws {
        try await Self.withStore { store, loop in
            let entered = Atomic<Bool>(false)
            let release = DispatchSemaphore(value: 0)
            let first = Task(executorPreference: loop) {
                try await store.write { transaction in
                    try transaction.save(Self.team("first"))
                    entered.store(true, ordering: .releasing)
                    release.wait()
                    return loop.loop.inEventLoop
                }
            }
            while !entered.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }

            let count = 8
            let writes = (0..<count).map { index in
                Task {
                    try await store.write { transaction in
                        try transaction.save(Self.team("t\(index)"))
                        return loop.loop.inEventLoop
                    }
                }
            }
            while store.queuedWriteCount() < count { try await Task.sleep(for: .milliseconds(1)) }
            release.signal()

            #expect(try await first.value, "a write alone did not run on its caller's thread")
            for (index, write) in writes.enumerated() {
                #expect(try await write.value == false, "write \(index) ran on another caller's thread")
            }
            let teams = try await store.read { reader in try reader.teams().map(\.id) }
            #expect(Set(teams) == Set(["first"] + (0..<count).map { "t\($0)" }))
        }
    }

    @Test func underPowerLossAWriteAloneNeverRunsOnItsCallersThread() async throws {
        try await Self.withStore(durability: .powerLoss) { store, loop in
            for index in 0..<3 {
                let onCallerThread = try await Task(executorPreference: loop) {
                    try await store.write { transaction in
                        try transaction.save(Self.team("t\(index)"))
                        return loop.loop.inEventLoop
                    }
                }.value
                #expect(!onCallerThread, "write \(index) synced on its caller's event loop")
            }
            #expect(try await store.read { reader in try reader.teams().count } == 3)
        }
    }
}
