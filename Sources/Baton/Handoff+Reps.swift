import BatonProtos
import Foundation

extension Handoff {
    /// Reps/UpsertRep.
    public func upsertRep(
        _ request: Baton_V1_UpsertRepRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_UpsertRepResponse
    {
        let input = request.rep ?? Baton_V1_Rep()
        var validator = Validator()
        validator.id(input.id, "rep.id")
        validator.text(input.displayName, "rep.display_name", max: 200, required: true)
        validator.text(input.email, "rep.email", max: 254)
        for (index, team) in input.teamIDs.enumerated() { validator.id(team, "rep.team_ids[\(index)]") }
        if input.timeZone.isEmpty {
            validator.fail("rep.time_zone", "rep.time_zone is required")
        } else if TimeZone(identifier: input.timeZone) == nil {
            validator.fail("rep.time_zone", "\(input.timeZone) is not an IANA time zone", reason: .invalidTimeZone)
        }
        validator.known(input.role, "rep.role", knownRange: 0...2)
        validator.id(request.actingRepID, "acting_rep_id", required: false)
        try validator.check()
        let actor = request.actingRepID.isEmpty ? Baton_V1_Actor.system : .rep(request.actingRepID)
        return try await write { transaction, now in
            let change = Change(transaction, now: now, actor: actor, caller: caller)
            if !request.actingRepID.isEmpty, try transaction.rep(request.actingRepID) == nil {
                throw BatonError.repNotFound(request.actingRepID)
            }
            for team in input.teamIDs where try transaction.team(team) == nil { throw BatonError.teamNotFound(team) }
            let existing = try transaction.rep(input.id)
            try checkVersion(request.expectedVersion, .rep, input.id, current: existing?.version ?? 0)
            var rep = existing ?? Baton_V1_Rep()
            if existing == nil {
                rep.id = input.id
                rep.presence = .loggedOut
                rep.status = .away
                rep.createdAt = change.timestamp
            }
            rep.displayName = input.displayName
            rep.email = input.email
            rep.teamIDs = input.teamIDs
            rep.timeZone = input.timeZone
            rep.role = input.role == .unspecified ? .rep : input.role
            rep.maxActiveChats = input.maxActiveChats
            rep.version += 1
            rep.updatedAt = change.timestamp
            try transaction.save(rep)
            rep = try hydrate(rep, transaction)
            var upserted = Baton_V1_RepUpserted()
            upserted.rep = rep
            upserted.created = existing == nil
            try change.emit(.repUpserted, reps: [rep.id], payload: .repUpserted(upserted))
            var response = Baton_V1_UpsertRepResponse()
            response.rep = rep
            response.created = existing == nil
            return response
        }
    }

    /// Reps/GetRep.
    public func getRep(_ request: Baton_V1_GetRepRequest) async throws(BatonError) -> Baton_V1_GetRepResponse {
        var validator = Validator()
        validator.id(request.repID, "rep_id")
        try validator.check()
        return try await read { reader in
            guard let rep = try reader.rep(request.repID) else { throw BatonError.repNotFound(request.repID) }
            var response = Baton_V1_GetRepResponse()
            response.rep = try hydrate(rep, reader)
            return response
        }
    }

    /// Reps/ListReps.
    public func listReps(_ request: Baton_V1_ListRepsRequest) async throws(BatonError) -> Baton_V1_ListRepsResponse {
        var validator = Validator()
        validator.id(request.teamID, "team_id", required: false)
        validator.known(request.presence, "presence", knownRange: 0...2)
        validator.known(request.status, "status", knownRange: 0...3)
        try validator.check()
        let size = Paging.size(request.page)
        let start = try Paging.key(request.page, list: "reps", fields: 1) { String($0[0]) } ?? ""
        let matching = try await read { reader in
            // Team membership, presence and status are inside the stored rep and whether it can
            // take a transfer is derived, so the store's pages are filtered here, read until one
            // more rep than a page matches (or none is left).
            var matching: [Baton_V1_Rep] = []
            var after = start
            while matching.count <= size {
                let batch = try reader.reps(after: after, limit: size + 1)
                matching += try hydrate(batch, reader).filter { rep in
                    (request.teamID.isEmpty || rep.teamIDs.contains(request.teamID))
                        && (request.presence == .unspecified || rep.presence == request.presence)
                        && (request.status == .unspecified || rep.status == request.status)
                        && (!request.canTakeTransferOnly || rep.canTakeTransfer)
                }
                guard batch.count > size, let last = batch.last else { break }
                after = last.id
            }
            return matching
        }
        var response = Baton_V1_ListRepsResponse()
        let (page, next) = Paging.cut(matching, size: size, list: "reps") { [$0.id] }
        response.reps = page
        response.page = next
        return response
    }

    /// Reps/SetPresence.
    public func setPresence(
        _ request: Baton_V1_SetPresenceRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_SetPresenceResponse
    {
        var validator = Validator()
        validator.id(request.repID, "rep_id")
        validator.known(request.presence, "presence", knownRange: 0...2)
        validator.known(request.status, "status", knownRange: 0...3)
        if request.leaseSeconds > 86400 {
            validator.fail("lease_seconds", "lease_seconds \(request.leaseSeconds) is above 86400")
        }
        validator.id(request.actingRepID, "acting_rep_id", required: false)
        try validator.check()
        let actorID = request.actingRepID.isEmpty ? request.repID : request.actingRepID
        return try await write { transaction, now in
            guard var rep = try transaction.rep(request.repID) else { throw BatonError.repNotFound(request.repID) }
            if actorID != rep.id, try transaction.rep(actorID) == nil { throw BatonError.repNotFound(actorID) }
            let change = Change(transaction, now: now, actor: .rep(actorID), caller: caller)
            let before = rep
            if request.presence != .unspecified { rep.presence = request.presence }
            if request.status != .unspecified { rep.status = request.status }
            if rep.presence == .loggedIn && request.leaseSeconds > 0 {
                rep.leaseExpiresAt = Google_Protobuf_Timestamp(now.addingTimeInterval(Double(request.leaseSeconds)))
            } else {
                rep.leaseExpiresAt = nil
            }
            if rep != before {
                rep.version += 1
                rep.updatedAt = change.timestamp
                try transaction.save(rep)
            }
            try emitPresenceChanges(change, before: before, after: rep, cause: .setPresence)
            var response = Baton_V1_SetPresenceResponse()
            response.rep = try hydrate(rep, transaction)
            return response
        }
    }

    /// Emits REP_PRESENCE_CHANGED and REP_STATUS_CHANGED for what differs between two states.
    func emitPresenceChanges(
        _ change: Change,
        before: Baton_V1_Rep,
        after: Baton_V1_Rep,
        cause: Baton_V1_PresenceChangeCause
    ) throws {
        if before.presence != after.presence {
            var payload = Baton_V1_RepPresenceChanged()
            payload.previousPresence = before.presence
            payload.presence = after.presence
            payload.cause = cause
            payload.leaseExpiresAt = after.leaseExpiresAt
            try change.emit(.repPresenceChanged, reps: [after.id], payload: .repPresenceChanged(payload))
        }
        if before.status != after.status {
            var payload = Baton_V1_RepStatusChanged()
            payload.previousStatus = before.status
            payload.status = after.status
            try change.emit(.repStatusChanged, reps: [after.id], payload: .repStatusChanged(payload))
        }
    }

    /// Reps/UpsertTeam.
    public func upsertTeam(
        _ request: Baton_V1_UpsertTeamRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_UpsertTeamResponse
    {
        let input = request.team ?? Baton_V1_Team()
        var validator = Validator()
        validator.id(input.id, "team.id")
        validator.text(input.name, "team.name", max: 200, required: true)
        for (index, team) in input.acceptsTransfersFromTeamIDs.enumerated() {
            validator.id(team, "team.accepts_transfers_from_team_ids[\(index)]")
        }
        validator.id(request.actingRepID, "acting_rep_id", required: false)
        try validator.check()
        let actor = request.actingRepID.isEmpty ? Baton_V1_Actor.system : .rep(request.actingRepID)
        return try await write { transaction, now in
            let change = Change(transaction, now: now, actor: actor, caller: caller)
            if !request.actingRepID.isEmpty, try transaction.rep(request.actingRepID) == nil {
                throw BatonError.repNotFound(request.actingRepID)
            }
            for team in input.acceptsTransfersFromTeamIDs where team != input.id {
                if try transaction.team(team) == nil { throw BatonError.teamNotFound(team) }
            }
            let existing = try transaction.team(input.id)
            try checkVersion(request.expectedVersion, .team, input.id, current: existing?.version ?? 0)
            var team = existing ?? Baton_V1_Team()
            if existing == nil {
                team.id = input.id
                team.createdAt = change.timestamp
            }
            team.name = input.name
            team.acceptsTransfersFromTeamIDs = input.acceptsTransfersFromTeamIDs
            team.version += 1
            team.updatedAt = change.timestamp
            try transaction.save(team)
            team = try hydrate(team, transaction)
            var upserted = Baton_V1_TeamUpserted()
            upserted.team = team
            upserted.created = existing == nil
            try change.emit(.teamUpserted, reps: [], teams: [team.id], payload: .teamUpserted(upserted))
            var response = Baton_V1_UpsertTeamResponse()
            response.team = team
            response.created = existing == nil
            return response
        }
    }

    /// Reps/ListTeams.
    public func listTeams(_ request: Baton_V1_ListTeamsRequest) async throws(BatonError) -> Baton_V1_ListTeamsResponse {
        var validator = Validator()
        validator.id(request.memberRepID, "member_rep_id", required: false)
        try validator.check()
        let size = Paging.size(request.page)
        let start = try Paging.key(request.page, list: "teams", fields: 1) { String($0[0]) } ?? ""
        let teams = try await read { reader in
            let reps = try reader.reps()
            var matching: [Baton_V1_Team] = []
            var after = start
            while matching.count <= size {
                let batch = try reader.teams(after: after, limit: size + 1)
                matching += batch.map { hydrated($0, reps: reps) }.filter {
                    request.memberRepID.isEmpty || $0.memberRepIDs.contains(request.memberRepID)
                }
                guard batch.count > size, let last = batch.last else { break }
                after = last.id
            }
            return matching
        }
        var response = Baton_V1_ListTeamsResponse()
        let (page, next) = Paging.cut(teams, size: size, list: "teams") { [$0.id] }
        response.teams = page
        response.page = next
        return response
    }

    /// `rep` with its derived fields filled: active chat count and whether it can take a transfer.
    func hydrate(_ rep: Baton_V1_Rep, _ reader: any StoreReader) throws -> Baton_V1_Rep {
        hydrated(rep, activeChatCount: try reader.activeChatCount(repID: rep.id))
    }

    /// `reps` with their derived fields filled, their active chats counted in one query.
    func hydrate(_ reps: [Baton_V1_Rep], _ reader: any StoreReader) throws -> [Baton_V1_Rep] {
        let counts = try reader.activeChatCounts(repIDs: reps.map(\.id))
        return reps.map { hydrated($0, activeChatCount: counts[$0.id] ?? 0) }
    }

    private func hydrated(_ rep: Baton_V1_Rep, activeChatCount: Int) -> Baton_V1_Rep {
        var rep = rep
        rep.activeChatCount = UInt32(clamping: activeChatCount)
        rep.canTakeTransfer = Eligibility.canTakeTransfer(rep)
        return rep
    }

    /// `team` with its members filled.
    func hydrate(_ team: Baton_V1_Team, _ reader: any StoreReader) throws -> Baton_V1_Team {
        hydrated(team, reps: try reader.reps())
    }

    /// `team` with its members among `reps` (every rep) filled.
    private func hydrated(_ team: Baton_V1_Team, reps: [Baton_V1_Rep]) -> Baton_V1_Team {
        var team = team
        team.memberRepIDs = reps.filter { $0.teamIDs.contains(team.id) }.map(\.id)
        return team
    }
}
