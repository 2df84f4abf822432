import Baton
import BatonProtos
import BatonRPC
import Testing

/// REQUEST mode: the target accepts or declines, the requester cancels, or time runs out.
@Suite struct TwoPhaseTransferTests {
    private func request(
        _ baton: TestBaton,
        _ chat: Baton_V1_Chat,
        ttl: UInt32 = 0
    ) async throws
        -> Baton_V1_PendingTransfer
    {
        var transfer = Make.transfer(
            chat.id,
            by: "ana",
            to: "ben",
            mode: .request,
            note: "SSO question",
            visitorMessage: "Ben takes over"
        )
        transfer.requestTTLSeconds = ttl
        let response: Baton_V1_TransferChatResponse = try await baton.call("Chats/TransferChat", transfer)
        #expect(response.outcome == .pending)
        #expect(response.chat?.ownerRepID == "ana")
        #expect(response.chat?.pendingTransfer?.id == response.pendingTransfer?.id)
        return try #require(response.pendingTransfer)
    }

    @Test(arguments: TestEngine.allCases)
    func acceptingHandsTheChatOverAndPostsTheVisitorMessage(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let pending = try await request(baton, chat)
            await expectError(.failedPrecondition, .transferAlreadyPending) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "ben")
                )
            }
            var accept = Baton_V1_AcceptTransferRequest()
            accept.transferID = pending.id
            accept.actingRepID = "cara"
            await expectError(.permissionDenied, .actorNotPermitted) {
                let _: Baton_V1_AcceptTransferResponse = try await baton.call("Chats/AcceptTransfer", accept)
            }
            accept.actingRepID = "ben"
            let accepted: Baton_V1_AcceptTransferResponse = try await baton.call("Chats/AcceptTransfer", accept)
            #expect(accepted.chat?.ownerRepID == "ben")
            #expect(accepted.chat?.pendingTransfer == nil)
            #expect(accepted.transfer?.state == .accepted)
            #expect(accepted.appendedEntries.map(\.kind) == [.audit, .transferMessage])
            let again: Baton_V1_AcceptTransferResponse = try await baton.call("Chats/AcceptTransfer", accept)
            #expect(again == accepted)
            accept.actingRepID = "cara"
            await expectError(.permissionDenied, .actorNotPermitted) {
                let _: Baton_V1_AcceptTransferResponse = try await baton.call("Chats/AcceptTransfer", accept)
            }
            let completed = try await baton.allEvents().filter { $0.kind == .transferCompleted }
            #expect(completed.count == 1)
            guard case .transferCompleted(let payload) = completed.first?.payload else {
                Issue.record("no TRANSFER_COMPLETED payload")
                return
            }
            #expect(payload.mode == .request && payload.transferID == pending.id)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func decliningKeepsTheChatWithTheOwnerAndRecordsTheReason(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let pending = try await request(baton, chat)
            var decline = Baton_V1_DeclineTransferRequest()
            decline.transferID = pending.id
            decline.actingRepID = "ben"
            decline.reason = "in a call until 3pm"
            let declined: Baton_V1_DeclineTransferResponse = try await baton.call("Chats/DeclineTransfer", decline)
            #expect(declined.chat?.ownerRepID == "ana")
            #expect(declined.transfer?.state == .declined)
            #expect(declined.transfer?.declineReason == "in a call until 3pm")
            let chatNow: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(chatNow.chat?.transcript.last?.text == "Ben Ortiz declined the transfer: in a call until 3pm")
            var accept = Baton_V1_AcceptTransferRequest()
            accept.transferID = pending.id
            accept.actingRepID = "ben"
            await expectError(.failedPrecondition, .transferNotPending) {
                let _: Baton_V1_AcceptTransferResponse = try await baton.call("Chats/AcceptTransfer", accept)
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func anUnansweredRequestExpiresAndTheOwnerIsTold(engine: TestEngine) async throws {
        let clock = ManualClock()
        try await TestBaton.with(engine, clock: clock) { baton in
            let chat = try await baton.seedStory()
            let pending = try await request(baton, chat, ttl: 60)
            clock.advance(seconds: 59)
            #expect(try await baton.handoff.sweep().expiredTransferIDs.isEmpty)
            clock.advance(seconds: 1)
            #expect(try await baton.handoff.sweep().expiredTransferIDs == [pending.id])
            let chatNow: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(chatNow.chat?.ownerRepID == "ana")
            #expect(chatNow.chat?.pendingTransfer == nil)
            #expect(chatNow.chat?.transcript.last?.kind == .audit)
            let expired = try await baton.allEvents().filter { $0.kind == .transferExpired }
            #expect(expired.count == 1)
            #expect(expired.first?.repIDs.first == "ana")
            #expect(expired.first?.actorKind == .system)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func theRequesterCanCancelAPendingTransfer(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let pending = try await request(baton, chat)
            var cancel = Baton_V1_CancelTransferRequest()
            cancel.transferID = pending.id
            cancel.actingRepID = "ben"
            await expectError(.permissionDenied, .actorNotPermitted) {
                let _: Baton_V1_CancelTransferResponse = try await baton.call("Chats/CancelTransfer", cancel)
            }
            cancel.actingRepID = "ana"
            cancel.reason = "visitor left"
            let cancelled: Baton_V1_CancelTransferResponse = try await baton.call("Chats/CancelTransfer", cancel)
            #expect(cancelled.transfer?.state == .cancelled)
            #expect(cancelled.chat?.pendingTransfer == nil)
            let transferred: Baton_V1_TransferChatResponse = try await baton.call(
                "Chats/TransferChat",
                Make.transfer(chat.id, by: "ana", to: "ben")
            )
            #expect(transferred.chat?.ownerRepID == "ben")
        }
    }

    @Test(arguments: TestEngine.allCases)
    func endingAChatCancelsItsPendingTransfer(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let pending = try await request(baton, chat)
            var end = Baton_V1_EndChatRequest()
            end.chatID = chat.id
            let ended: Baton_V1_EndChatResponse = try await baton.call("Chats/EndChat", end)
            #expect(ended.chat?.state == .ended)
            let cancelled = try await baton.allEvents().compactMap { event -> Baton_V1_PendingTransfer? in
                if case .transferCancelled(let payload) = event.payload { return payload.transfer }
                return nil
            }
            #expect(cancelled.map(\.id) == [pending.id])
            #expect(cancelled.first?.cancelReason == "chat ended")
            await expectError(.failedPrecondition, .chatNotActive) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "ben")
                )
            }
        }
    }
}
