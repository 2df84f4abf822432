import BatonProtos
import BatonRPC
import Testing

/// Starting, reading, writing to, listing and ending chats.
@Suite struct ChatTests {
    @Test(arguments: TestEngine.allCases)
    func aTeamChatGoesToTheAvailableMemberWithTheFewestChats(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            _ = try await baton.seedStory()
            var request = Make.startChat(owner: "")
            request.teamID = "sales"
            let first: Baton_V1_StartChatResponse = try await baton.call("Chats/StartChat", request)
            #expect(first.chat?.ownerRepID == "ben", "ana already owns a chat")
            #expect(first.chat?.transcript.map(\.text) == ["Hi, do you support SSO?"])
            for rep in ["ana", "ben"] {
                let _: Baton_V1_SetPresenceResponse = try await baton.call(
                    "Reps/SetPresence",
                    Make.presence(rep, .unspecified, .away)
                )
            }
            await expectError(.failedPrecondition, .noRepAvailable) {
                let _: Baton_V1_StartChatResponse = try await baton.call("Chats/StartChat", request)
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func theTranscriptReadsInPagesFromACursor(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            for index in 1...4 {
                let _: Baton_V1_PostMessageResponse = try await baton.call(
                    "Chats/PostMessage",
                    Make.post(chat.id, rep: "ana", "reply \(index)")
                )
            }
            var page = Make.getChat(chat.id)
            page.afterSequence = 1
            page.maxEntries = 2
            let response: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", page)
            #expect(response.chat?.transcript.map(\.sequence) == [2, 3])
            #expect(response.transcriptHasMore)
            page.afterSequence = 3
            page.maxEntries = 5
            let rest: Baton_V1_GetChatResponse = try await baton.call("Chats/GetChat", page)
            #expect(rest.chat?.transcript.map(\.sequence) == [4, 5])
            #expect(!rest.transcriptHasMore)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func colleaguesMayOnlyWhisperAndVisitorsOnlySpeakPublicly(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            await expectError(.permissionDenied, .actorNotPermitted) {
                let _: Baton_V1_PostMessageResponse = try await baton.call(
                    "Chats/PostMessage",
                    Make.post(chat.id, rep: "ben", "Hello visitor")
                )
            }
            var whisper = Make.post(chat.id, rep: "ben", "I know this customer")
            whisper.visibility = .repsOnly
            let posted: Baton_V1_PostMessageResponse = try await baton.call("Chats/PostMessage", whisper)
            #expect(posted.entry?.visibility == .repsOnly)
            #expect(posted.chatVersion == chat.version + 1)
            var visitor = whisper
            visitor.author?.kind = .visitor
            visitor.author?.id = ""
            await expectError(.invalidArgument, .invalidField) {
                let _: Baton_V1_PostMessageResponse = try await baton.call("Chats/PostMessage", visitor)
            }
        }
    }

    @Test(arguments: TestEngine.allCases)
    func listingFiltersByOwnerAndStateAndEndingIsFinal(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            let chat = try await baton.seedStory()
            let other: Baton_V1_StartChatResponse = try await baton.call(
                "Chats/StartChat",
                Make.startChat(owner: "ben")
            )
            var end = Baton_V1_EndChatRequest()
            end.chatID = other.chat!.id
            end.endedBy = Baton_V1_Actor()
            end.endedBy?.kind = .rep
            end.endedBy?.id = "ana"
            await expectError(.permissionDenied, .actorNotPermitted) {
                let _: Baton_V1_EndChatResponse = try await baton.call("Chats/EndChat", end)
            }
            end.endedBy?.id = "ben"
            let ended: Baton_V1_EndChatResponse = try await baton.call("Chats/EndChat", end)
            let again: Baton_V1_EndChatResponse = try await baton.call("Chats/EndChat", end)
            #expect(again.chat == ended.chat)

            var active = Baton_V1_ListChatsRequest()
            active.state = .active
            let activeChats: Baton_V1_ListChatsResponse = try await baton.call("Chats/ListChats", active)
            #expect(activeChats.chats.map(\.id) == [chat.id])
            var byBen = Baton_V1_ListChatsRequest()
            byBen.ownerRepID = "ben"
            let bens: Baton_V1_ListChatsResponse = try await baton.call("Chats/ListChats", byBen)
            #expect(bens.chats.map(\.state) == [.ended])
            await expectError(.failedPrecondition, .chatNotActive) {
                let _: Baton_V1_PostMessageResponse = try await baton.call(
                    "Chats/PostMessage",
                    Make.post(other.chat!.id, rep: "ben", "still there?")
                )
            }
        }
    }
}
