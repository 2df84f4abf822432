import Baton
import BatonProtos

/// The guide's story as seed data (`batond --demo`): a sales team with Ana (available, owning an
/// active chat with a transcript), Ben (available), Cara (away), Dan (logged out) and Maya, their
/// manager, each with a working week on their calendar. Seeding an already seeded store changes
/// nothing.
public enum DemoData {
    /// The seeded team's id.
    public static let teamID = "sales"

    /// Seeds `handoff`'s store unless the demo team exists; returns the demo chat's id.
    @discardableResult
    public static func seed(_ handoff: Handoff) async throws(BatonError) -> String {
        let caller = Caller(requestID: "demo-seed")
        let existing = try await handoff.listTeams(Baton_V1_ListTeamsRequest()).teams
        if !existing.contains(where: { $0.id == teamID }) {
            var team = Baton_V1_UpsertTeamRequest()
            team.team = Baton_V1_Team()
            team.team!.id = teamID
            team.team!.name = "Sales"
            _ = try await handoff.upsertTeam(team, caller: caller)
            let reps: [(String, String, Baton_V1_RepRole, Baton_V1_Presence, Baton_V1_RepStatus)] = [
                ("ana", "Ana Silva", .rep, .loggedIn, .available),
                ("ben", "Ben Ortiz", .rep, .loggedIn, .available),
                ("cara", "Cara Diaz", .rep, .loggedIn, .away),
                ("dan", "Dan Kim", .rep, .loggedOut, .available),
                ("maya", "Maya Chen", .manager, .loggedIn, .busy),
            ]
            for (id, name, role, presence, status) in reps {
                var upsert = Baton_V1_UpsertRepRequest()
                var rep = Baton_V1_Rep()
                rep.id = id
                rep.displayName = name
                rep.email = "\(id)@example.com"
                rep.teamIDs = [teamID]
                rep.timeZone = "Europe/Lisbon"
                rep.role = role
                upsert.rep = rep
                _ = try await handoff.upsertRep(upsert, caller: caller)
                var setPresence = Baton_V1_SetPresenceRequest()
                setPresence.repID = id
                setPresence.presence = presence
                setPresence.status = status
                _ = try await handoff.setPresence(setPresence, caller: caller)
            }
        }
        try await seedSchedules(handoff, caller: caller)
        var start = Baton_V1_StartChatRequest()
        start.visitor = Baton_V1_Visitor()
        start.visitor!.id = "visitor-42"
        start.visitor!.name = "Sam Lee"
        start.visitor!.email = "sam@example.org"
        start.ownerRepID = "ana"
        start.firstMessage = "Hi! Do you support SSO on the Team plan?"
        start.idempotencyKey = "demo-chat"
        let chat = try await handoff.startChat(start, caller: caller).chat!
        var reply = Baton_V1_PostMessageRequest()
        reply.chatID = chat.id
        reply.author = Baton_V1_Actor()
        reply.author!.kind = .rep
        reply.author!.id = "ana"
        reply.text = "Hi Sam, I'm Ana. SSO comes with Enterprise; let me find out about Team."
        reply.idempotencyKey = "demo-reply"
        _ = try await handoff.postMessage(reply, caller: caller)
        return chat.id
    }
}
