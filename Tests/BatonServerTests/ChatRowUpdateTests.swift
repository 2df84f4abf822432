import Baton
import BatonProtos
@testable import BatonStore
import Foundation
import GRDB
import Testing

/// A transaction that saves a chat it read writes the chat's team and state whenever they
/// differ from the row's, so listing by team or state finds it.
@Suite struct ChatRowUpdateTests {
    private static func chat(team: String) -> Baton_V1_Chat {
        var chat = Baton_V1_Chat()
        chat.id = "chat-1"
        chat.ownerRepID = "rep-1"
        chat.teamID = team
        chat.state = .active
        return chat
    }

    private static func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "baton-chat-row-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: "\(directory)/baton.sqlite")
        defer { try? store.close() }
        try await store.write { transaction in try transaction.save(Self.chat(team: "team-a")) }
        try await body(store)
    }

    private static func chatIDs(in store: SQLiteStore, team: String) async throws -> [String] {
        try await store.read { reader in
            try reader.chats(ownerRepID: nil, teamID: team, state: .active, after: nil, limit: 10).map(\.id)
        }
    }

    @Test func aChatMovedAgainAfterAFailedWriteIsListedUnderItsNewTeam() async throws {
        try await Self.withStore { store in
            try await store.write { transaction in
                let sqlite = try #require(transaction as? SQLiteTransaction)
                var chat = try #require(try transaction.chat("chat-1"))
                chat.teamID = "team-b"
                try transaction.save(chat)
                try sqlite.db.execute(
                    sql: "CREATE TEMP TRIGGER refuse BEFORE UPDATE ON chats BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
                #expect(throws: (any Error).self) { try sqlite.flush() }
                try sqlite.db.execute(sql: "DROP TRIGGER refuse")
                chat.ownerRepID = "rep-2"
                try transaction.save(chat)
            }
            #expect(try await Self.chatIDs(in: store, team: "team-b") == ["chat-1"])
            #expect(try await Self.chatIDs(in: store, team: "team-a") == [])
        }
    }

    @Test func aChatReadThenDeletedUnderneathIsWrittenWholeWhenSaved() async throws {
        try await Self.withStore { store in
            try await store.write { transaction in
                let sqlite = try #require(transaction as? SQLiteTransaction)
                var chat = try #require(try transaction.chat("chat-1"))
                try sqlite.db.execute(sql: "DELETE FROM chats WHERE id = 'chat-1'")
                chat.ownerRepID = "rep-2"
                try transaction.save(chat)
            }
            #expect(try await Self.chatIDs(in: store, team: "team-a") == ["chat-1"])
            #expect(try await store.read { reader in try reader.chat("chat-1")?.ownerRepID } == "rep-2")
        }
    }

    @Test func aChatReadThenMovedToANewTeamAndStateIsListedThere() async throws {
        try await Self.withStore { store in
            try await store.write { transaction in
                var chat = try #require(try transaction.chat("chat-1"))
                chat.teamID = "team-b"
                chat.state = .ended
                try transaction.save(chat)
            }
            let ended = try await store.read { reader in
                try reader.chats(ownerRepID: nil, teamID: "team-b", state: .ended, after: nil, limit: 10).map(\.id)
            }
            #expect(ended == ["chat-1"])
            #expect(try await Self.chatIDs(in: store, team: "team-a") == [])
        }
    }
}
