import BatonProtos
import BatonRPC
import Testing

/// The vendor guide's story, end to end over the socket.
@Suite struct GuideStoryTests {
    @Test(arguments: TestEngine.allCases)
    func transferToAnAvailableColleagueKeepsTheWholeTranscript(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let _: Baton_V1_PostMessageResponse = try await baton.call(
                "Chats/PostMessage",
                Make.post(chat.id, rep: "ana", "Let me check with a colleague.")
            )

            let loggedOut = await expectError(.failedPrecondition, .targetLoggedOut) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "dan")
                )
            }
            #expect(loggedOut?.detail(Baton_V1_TransferUnavailable.self)?.reason == .loggedOut)
            let away = await expectError(.failedPrecondition, .targetNotAvailable) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "cara")
                )
            }
            #expect(away?.detail(Baton_V1_TransferUnavailable.self)?.reason == .away)

            let transferred: Baton_V1_TransferChatResponse = try await baton.call(
                "Chats/TransferChat",
                Make.transfer(
                    chat.id,
                    by: "ana",
                    to: "ben",
                    note: "Asks about SSO pricing",
                    visitorMessage: "Ben from our security team will continue with you"
                ),
                requestID: "req-story-1"
            )
            #expect(transferred.outcome == .transferred)
            #expect(transferred.chat?.ownerRepID == "ben")
            #expect(transferred.appendedEntries.map(\.kind) == [.audit, .transferNote, .transferMessage])

            let full: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", Make.getChat(chat.id))
            let transcript = full.chat!.transcript
            #expect(full.chat?.ownerRepID == "ben")
            #expect(transcript.map(\.sequence) == [1, 2, 3, 4, 5])
            #expect(transcript.first?.text == "Hi, do you support SSO?")
            #expect(transcript[2].text == "Ana Silva transferred the chat to Ben Ortiz")
            #expect(transcript[2].visibility == .repsOnly)
            #expect(transcript[3].kind == .transferNote && transcript[3].visibility == .repsOnly)
            #expect(transcript[4].kind == .transferMessage && transcript[4].visibility == .everyone)

            let visitorView: Baton_V1_GetChatResponse = try await baton.call(
                "Chats/GetChat",
                Make.getChat(chat.id, visitorView: true)
            )
            #expect(visitorView.chat!.transcript.map(\.sequence) == [1, 2, 5])

            let completed = try await baton.allEvents().filter { $0.kind == .transferCompleted }
            #expect(completed.count == 1)
            #expect(completed.first?.actorRepID == "ana")
            #expect(completed.first?.requestID == "req-story-1")
            #expect(completed.first?.repIDs.prefix(2) == ["ben", "ana"])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func targetsListEveryColleagueWithTheReasonTheyCannotTakeIt(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            var request = Baton_V1_ListTransferTargetsRequest()
            request.chatID = chat.id
            let response: Baton_V1_ListTransferTargetsResponse = try await baton.call(
                "Chats/ListTransferTargets",
                request
            )
            let reasons = Dictionary(uniqueKeysWithValues: response.targets.map { ($0.rep!.id, $0.reason) })
            #expect(response.targets.first?.rep?.id == "ben")
            #expect(response.targets.first?.eligible == true)
            #expect(reasons == ["ben": .unspecified, "ana": .isOwner, "cara": .away, "dan": .loggedOut, "maya": .busy])
        }
    }

    @Test(arguments: TestEngine.allCases)
    func onlyTheOwnerOrAManagerOfTheTeamMayTransfer(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            await expectError(.permissionDenied, .actorNotPermitted) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ben", to: "ben")
                )
            }
            let byManager: Baton_V1_TransferChatResponse = try await baton.call(
                "Chats/TransferChat",
                Make.transfer(chat.id, by: "maya", to: "ben")
            )
            #expect(byManager.chat?.ownerRepID == "ben")
            await expectError(.failedPrecondition, .targetIsOwner) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ben", to: "ben")
                )
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func teamRulesAndCapacityDecideEligibility(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let _: Baton_V1_UpsertTeamResponse = try await baton.call("Reps/UpsertTeam", Make.team("support"))
            let _: Baton_V1_UpsertRepResponse = try await baton.call(
                "Reps/UpsertRep",
                Make.rep("sue", "Sue Park", teams: ["support"], capacity: 1)
            )
            let _: Baton_V1_SetPresenceResponse = try await baton.call(
                "Reps/SetPresence",
                Make.presence("sue", .loggedIn, .available)
            )
            await expectError(.failedPrecondition, .targetNotInPermittedTeam) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "sue")
                )
            }
            let _: Baton_V1_UpsertTeamResponse = try await baton.call(
                "Reps/UpsertTeam",
                Make.team("support", acceptsFrom: ["sales"])
            )
            let _: Baton_V1_StartChatResponse = try await baton.call("Chats/StartChat", Make.startChat(owner: "sue"))
            await expectError(.failedPrecondition, .targetAtCapacity) {
                let _: Baton_V1_TransferChatResponse = try await baton.call(
                    "Chats/TransferChat",
                    Make.transfer(chat.id, by: "ana", to: "sue")
                )
            }
            var list = Baton_V1_ListRepsRequest()
            list.canTakeTransferOnly = true
            let available: Baton_V1_ListRepsResponse = try await baton.call("Reps/ListReps", list)
            #expect(available.reps.map(\.id) == ["ana", "ben"])
        }
    }
}
