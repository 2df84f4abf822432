import Baton
import BatonProtos
import BatonStore
import Foundation
import Testing

/// What was acknowledged survives closing the store and starting again on the same file.
@Suite struct RestartTests {
    @Test(arguments: TestEngine.allCases)
    func aRestartKeepsEveryAcknowledgedChangeAndTheEventLog(engine: TestEngine) async throws {
        try await TestStorage.with(engine) { storage in
            let (chat, events) = try await TestBaton.reopen(storage) { baton in
                let chat = try await baton.seedStory()
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "ben", note: "n", key: "k1")
                )
                let response: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
                return (response.chat!, try await baton.allEvents())
            }
            try await TestBaton.reopen(storage) { baton in
                let response: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
                #expect(response.chat == chat)
                #expect(try await baton.allEvents() == events)
                let retry: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "ben", note: "n", key: "k1")
                )
                #expect(retry.chat?.ownerRepID == "ben")
                #expect(try await baton.allEvents().count == events.count, "a remembered retry must not write")
                let next: Baton_V1_StartChatResponse = try await baton.call(
                    "Chats/StartChat",
                    Make.startChat(owner: "ana")
                )
                #expect(next.chat?.id != chat.id)
                let started = try await baton.allEvents().filter { $0.kind == .chatStarted }.last
                #expect(started?.chatID == next.chat?.id)
                #expect(started?.sequence == UInt64(events.count + 1))
            }
        }
    }

    @Test(arguments: [(SQLiteStore.Durability.processCrash, 1), (.powerLoss, 2)])
    func theStoreUsesWALAndTheAskedDurability(durability: SQLiteStore.Durability, synchronous: Int) async throws {
        try await TestBaton.with(durability: durability) { baton in
            let store = try #require(baton.store as? SQLiteStore)
            let journalMode = try store.journalMode()
            let setting = try store.synchronousSetting()
            #expect(journalMode == "wal")
            #expect(setting == synchronous)
        }
    }

    @Test func theDefaultDatabaseLivesInTheDataHomeNotTheRuntimeFolder() {
        guard getuid() != 0 else {
            #expect(SQLiteStore.defaultPath() == "/var/lib/baton/baton.sqlite")
            return
        }
        #expect(SQLiteStore.defaultPath(environment: ["XDG_DATA_HOME": "/data"]) == "/data/baton/baton.sqlite")
        #expect(
            SQLiteStore.defaultPath(environment: ["HOME": "/home/ana", "XDG_RUNTIME_DIR": "/run/user/1"])
                == "/home/ana/.local/share/baton/baton.sqlite"
        )
    }
}
