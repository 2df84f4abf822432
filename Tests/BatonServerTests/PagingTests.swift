import Baton
import BatonProtos
import BatonRPC
import Foundation
import Testing

/// Lists read from the store a page at a time, from keyset tokens.
@Suite struct PagingTests {
    private func page(_ size: UInt32, _ token: String) -> Baton_V1_PageRequest {
        var page = Baton_V1_PageRequest()
        page.pageSize = size
        page.pageToken = token
        return page
    }

    private func listChats(_ baton: TestBaton, size: UInt32, token: String) async throws -> Baton_V1_ListChatsResponse {
        var request = Baton_V1_ListChatsRequest()
        request.page = page(size, token)
        return try await baton.call("Chats/ListChats", request)
    }

    @Test(arguments: TestEngine.allCases)
    func chatsStartedBetweenPagesNeverMakeTheListSkipOrRepeatAChat(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            _ = try await baton.seedStory()
            for _ in 0..<9 {
                baton.clock.advance(seconds: 1)
                let _: Baton_V1_StartChatResponse = try await baton.call("Chats/StartChat", Make.startChat(owner: "ben"))
            }
            let before = try await listChats(baton, size: 500, token: "").chats.map(\.id)
            #expect(before.count == 10)
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await listChats(baton, size: 3, token: token)
                seen += page.chats.map(\.id)
                token = page.page?.nextPageToken ?? ""
                // Newer chats, at the head of the list, and one at the very same instant.
                let _: Baton_V1_StartChatResponse = try await baton.call("Chats/StartChat", Make.startChat(owner: "ana"))
                baton.clock.advance(seconds: 1)
            } while !token.isEmpty
            #expect(seen == before)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func repsAndTeamsPageWithFiltersAcrossStorePages(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            _ = try await baton.seedStory()
            var request = Baton_V1_ListRepsRequest()
            request.presence = .loggedIn
            var token = ""
            var seen: [String] = []
            repeat {
                request.page = page(2, token)
                let response: Baton_V1_ListRepsResponse = try await baton.call("Reps/ListReps", request)
                #expect(response.reps.count <= 2)
                seen += response.reps.map(\.id)
                token = response.page?.nextPageToken ?? ""
            } while !token.isEmpty
            #expect(seen == ["ana", "ben", "cara", "maya"])

            let _: Baton_V1_UpsertTeamResponse = try await baton.call("Reps/UpsertTeam", Make.team("support"))
            var teams = Baton_V1_ListTeamsRequest()
            teams.page = page(1, "")
            let first: Baton_V1_ListTeamsResponse = try await baton.call("Reps/ListTeams", teams)
            #expect(first.teams.map(\.id) == ["sales"])
            #expect(first.teams.first?.memberRepIDs.count == 5)
            teams.page = page(1, first.page?.nextPageToken ?? "")
            let second: Baton_V1_ListTeamsResponse = try await baton.call("Reps/ListTeams", teams)
            #expect(second.teams.map(\.id) == ["support"] && (second.page?.nextPageToken ?? "").isEmpty)
        }
    }

    @Test(arguments: TestEngine.allCases, [
        "50",  // an offset, as earlier versions gave
        "not a token",
        Data("reps ana".utf8).base64EncodedString(),  // another list's
        Data("chats x 0 chat-1".utf8).base64EncodedString(),
        Data("chats 1 0".utf8).base64EncodedString(),
        // Instants no Timestamp may hold: once converted to microseconds, they trapped.
        Data("chats 9223372036854775807 0 chat-1".utf8).base64EncodedString(),
        Data("chats -9223372036854775808 0 chat-1".utf8).base64EncodedString(),
        Data("chats 253402300800 0 chat-1".utf8).base64EncodedString(),
        Data("chats 0 1000000000 chat-1".utf8).base64EncodedString(),
        Data("chats 0 -1 chat-1".utf8).base64EncodedString(),
    ])
    func aPageTokenThisServerDidNotGiveIsRefusedNamingIt(engine: TestEngine, token: String) async throws {
        try await TestBaton.with(engine) { baton in
            _ = try await baton.seedStory()
            let error = await expectError(.invalidArgument, .invalidField) {
                try await listChats(baton, size: 1, token: token)
            }
            #expect(error?.detail(Baton_V1_BadRequest.self)?.fieldViolations.first?.field == "page.page_token")
            // Every token but the reps one is refused by ListReps too.
            if token != Data("reps ana".utf8).base64EncodedString() {
                var reps = Baton_V1_ListRepsRequest()
                reps.page = page(1, token)
                await expectError(.invalidArgument, .invalidField) {
                    let _: Baton_V1_ListRepsResponse = try await baton.call("Reps/ListReps", reps)
                }
            }
        }
    }
}
