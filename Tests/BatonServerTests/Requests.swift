import BatonProtos

/// Request builders that keep the tests about behaviour rather than field plumbing.
enum Make {
    static func team(_ id: String, acceptsFrom: [String] = []) -> Baton_V1_UpsertTeamRequest {
        var request = Baton_V1_UpsertTeamRequest()
        var team = Baton_V1_Team()
        team.id = id
        team.name = id.capitalized
        team.acceptsTransfersFromTeamIDs = acceptsFrom
        request.team = team
        return request
    }

    static func rep(
        _ id: String,
        _ name: String,
        teams: [String] = ["sales"],
        role: Baton_V1_RepRole = .rep,
        capacity: UInt32 = 0
    ) -> Baton_V1_UpsertRepRequest {
        var request = Baton_V1_UpsertRepRequest()
        var rep = Baton_V1_Rep()
        rep.id = id
        rep.displayName = name
        rep.teamIDs = teams
        rep.timeZone = "America/New_York"
        rep.role = role
        rep.maxActiveChats = capacity
        request.rep = rep
        return request
    }

    static func presence(
        _ id: String,
        _ presence: Baton_V1_Presence,
        _ status: Baton_V1_RepStatus,
        lease: UInt32 = 0
    ) -> Baton_V1_SetPresenceRequest {
        var request = Baton_V1_SetPresenceRequest()
        request.repID = id
        request.presence = presence
        request.status = status
        request.leaseSeconds = lease
        return request
    }

    static func startChat(owner: String, message: String = "Hi, do you support SSO?") -> Baton_V1_StartChatRequest {
        var request = Baton_V1_StartChatRequest()
        var visitor = Baton_V1_Visitor()
        visitor.id = "visitor-1"
        visitor.name = "Sam"
        request.visitor = visitor
        request.ownerRepID = owner
        request.firstMessage = message
        return request
    }

    static func transfer(
        _ chatID: String,
        by actor: String,
        to target: String,
        mode: Baton_V1_TransferMode = .direct,
        note: String = "",
        visitorMessage: String = "",
        key: String = "",
        expectedVersion: UInt64? = nil
    ) -> Baton_V1_TransferRequest {
        var request = Baton_V1_TransferRequest()
        request.chatID = chatID
        request.actingRepID = actor
        request.targetRepID = target
        request.mode = mode
        request.note = note
        request.visitorMessage = visitorMessage
        request.idempotencyKey = key
        if let expectedVersion {
            var expected = Baton_V1_ExpectedVersion()
            expected.value = expectedVersion
            request.expectedVersion = expected
        }
        return request
    }

    static func getChat(_ id: String, visitorView: Bool = false) -> Baton_V1_GetChatRequest {
        var request = Baton_V1_GetChatRequest()
        request.chatID = id
        request.visitorView = visitorView
        return request
    }

    static func post(_ chatID: String, rep: String, _ text: String) -> Baton_V1_PostMessageRequest {
        var request = Baton_V1_PostMessageRequest()
        request.chatID = chatID
        var author = Baton_V1_Actor()
        author.kind = .rep
        author.id = rep
        request.author = author
        request.text = text
        return request
    }
}

extension TestBaton {
    /// The guide's cast over the socket: team sales; Ana and Ben available, Cara away, Dan
    /// logged out, Maya a busy manager; a chat owned by Ana with a visitor message. Returns it.
    func seedStory() async throws -> Baton_V1_Chat {
        let _: Baton_V1_UpsertTeamResponse = try await call("Reps/UpsertTeam", Make.team("sales"))
        let cast: [(String, String, Baton_V1_RepRole, Baton_V1_Presence, Baton_V1_RepStatus)] = [
            ("ana", "Ana Silva", .rep, .loggedIn, .available),
            ("ben", "Ben Ortiz", .rep, .loggedIn, .available),
            ("cara", "Cara Diaz", .rep, .loggedIn, .away),
            ("dan", "Dan Kim", .rep, .loggedOut, .available),
            ("maya", "Maya Chen", .manager, .loggedIn, .busy),
        ]
        for (id, name, role, presence, status) in cast {
            let _: Baton_V1_UpsertRepResponse = try await call("Reps/UpsertRep", Make.rep(id, name, role: role))
            let _: Baton_V1_SetPresenceResponse = try await call(
                "Reps/SetPresence",
                Make.presence(id, presence, status)
            )
        }
        let started: Baton_V1_StartChatResponse = try await call("Chats/StartChat", Make.startChat(owner: "ana"))
        return started.chat!
    }
}
