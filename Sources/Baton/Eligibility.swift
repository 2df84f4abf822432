import BatonProtos

/// Whether a rep can receive a chat now, and the first reason why not, in the schema's order.
enum Eligibility {
    /// True when `rep` is logged in, available and under capacity (team rules aside).
    static func canTakeTransfer(_ rep: Baton_V1_Rep) -> Bool {
        availabilityProblem(rep) == nil
    }

    /// The reason `rep` cannot take `chat`, or nil when they can.
    static func reason(
        _ rep: Baton_V1_Rep,
        for chat: Baton_V1_Chat,
        teams: [String: Baton_V1_Team]
    )
        -> Baton_V1_IneligibilityReason?
    {
        if rep.id == chat.ownerRepID { return .isOwner }
        if !isPermitted(rep, for: chat, teams: teams) { return .notInPermittedTeam }
        return availabilityProblem(rep)
    }

    /// A member of the chat's team, or of a team that accepts transfers from it; anyone when the
    /// chat has no team.
    static func isPermitted(_ rep: Baton_V1_Rep, for chat: Baton_V1_Chat, teams: [String: Baton_V1_Team]) -> Bool {
        if chat.teamID.isEmpty || rep.teamIDs.contains(chat.teamID) { return true }
        return rep.teamIDs.contains { teams[$0]?.acceptsTransfersFromTeamIDs.contains(chat.teamID) ?? false }
    }

    /// Reasons that are about the moment (presence, status, load), for which a calendar
    /// fallback makes sense.
    static func isAvailabilityReason(_ reason: Baton_V1_IneligibilityReason) -> Bool {
        [.loggedOut, .away, .busy, .atCapacity].contains(reason)
    }

    private static func availabilityProblem(_ rep: Baton_V1_Rep) -> Baton_V1_IneligibilityReason? {
        if rep.presence != .loggedIn { return .loggedOut }
        switch rep.status {
        case .available: break
        case .busy: return .busy
        default: return .away
        }
        if rep.maxActiveChats > 0 && rep.activeChatCount >= rep.maxActiveChats { return .atCapacity }
        return nil
    }

    /// The error reason that goes with an ineligibility reason.
    static func errorReason(_ reason: Baton_V1_IneligibilityReason) -> Baton_V1_ErrorReason {
        switch reason {
        case .isOwner: .targetIsOwner
        case .notInPermittedTeam: .targetNotInPermittedTeam
        case .loggedOut: .targetLoggedOut
        case .atCapacity: .targetAtCapacity
        default: .targetNotAvailable
        }
    }

    /// How a reason reads in a message: "logged out", "away".
    static func describe(_ reason: Baton_V1_IneligibilityReason) -> String {
        switch reason {
        case .isOwner: "already owns the chat"
        case .notInPermittedTeam: "is not in a team that may take the chat"
        case .loggedOut: "is logged out"
        case .away: "is away"
        case .busy: "is busy"
        case .atCapacity: "is at capacity"
        default: "cannot take the chat"
        }
    }
}
