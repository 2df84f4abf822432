import BatonProtos
import BatonRPC
import Testing

/// Bad input gets a precise status, a reason, and the field it is about.
@Suite struct ValidationTests {
    @Test(arguments: TestEngine.allCases)
    func unknownIdsAreNotFoundWithTheirReason(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let missingChat = await expectError(.notFound, .chatNotFound) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer("chat-404", by: "ana", to: "ben")
                )
            }
            #expect(missingChat?.detail(Baton_V1_ErrorInfo.self)?.resourceID == "chat-404")
            await expectError(.notFound, .targetNotFound) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "zoe")
                )
            }
            await expectError(.notFound, .repNotFound) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "zoe", to: "ben")
                )
            }
            var getRep = Baton_V1_GetRepRequest()
            getRep.repID = "zoe"
            await expectError(.notFound, .repNotFound) {
                let _: Baton_V1_GetRepResponse = try await baton.call("Reps/GetRep", getRep)
            }
            await expectError(.notFound, .teamNotFound) {
                let _: Baton_V1_UpsertRepResponse = try await baton.call(
                    "Reps/UpsertRep",
                    Make.rep("eve", "Eve", teams: ["nowhere"])
                )
            }
            var accept = Baton_V1_AcceptTransferRequest()
            accept.transferID = "transfer-404"
            accept.actingRepID = "ben"
            await expectError(.notFound, .transferNotFound) {
                let _: Baton_V1_AcceptTransferResponse = try await baton.call("Chats/AcceptTransfer", accept)
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func emptyOrOversizedTextAndBadEnumsNameTheField(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            func field(_ error: RPCError?) -> [String] {
                error?.detail(Baton_V1_BadRequest.self)?.fieldViolations.map(\.field) ?? []
            }
            let empty = await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_PostMessageResponse = try await baton.call(
                    "Chats/PostMessage",
                    Make.post(chat.id, rep: "ana", "")
                )
            }
            #expect(field(empty) == ["text"])
            let long = await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_PostMessageResponse = try await baton.call(
                    "Chats/PostMessage",
                    Make.post(chat.id, rep: "ana", String(repeating: "x", count: 16385))
                )
            }
            #expect(field(long) == ["text"])
            var badTransfer = Make.transfer(chat.id, by: "ana", to: "ben", note: String(repeating: "n", count: 2001))
            badTransfer.mode = .unrecognized(7)
            let transfer = await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", badTransfer)
            }
            #expect(field(transfer) == ["note", "mode"])
            var badStatus = Make.presence("ana", .loggedIn, .available)
            badStatus.status = .unrecognized(9)
            let status = await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_SetPresenceResponse = try await baton.call("Reps/SetPresence", badStatus)
            }
            #expect(field(status) == ["status"])
            var badZone = Make.rep("eve", "Eve")
            badZone.rep?.timeZone = "Mars/Olympus"
            let zone = await expectError(.invalidArgument, .invalidTimeZone) {
                let _: Baton_V1_UpsertRepResponse = try await baton.call("Reps/UpsertRep", badZone)
            }
            #expect(field(zone) == ["rep.time_zone"])
            let unchanged: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(unchanged.chat?.version == chat.version)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func staleExpectedVersionsAreAborted(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let conflict = await expectError(.aborted, .versionConflict) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "ben", expectedVersion: chat.version - 1)
                )
            }
            #expect(conflict?.detail(Baton_V1_VersionConflict.self)?.currentVersion == chat.version)
            var create = Make.rep("ana", "Ana Again")
            create.expectedVersion = Baton_V1_ExpectedVersion()
            await expectError(.aborted, .versionConflict) {
                let _: Baton_V1_UpsertRepResponse = try await baton.call("Reps/UpsertRep", create)
            }
        }
    }
}
