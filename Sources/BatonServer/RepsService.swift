import Baton
import BatonProtos
import BatonRPC

/// `baton.v1.Reps`: reps, teams, presence and status.
public struct RepsService: RPCService {
    private let handoff: Handoff

    public init(handoff: Handoff) { self.handoff = handoff }

    public var methods: [RPCMethodHandler] {
        let handoff = self.handoff
        return [
            .unary("/baton.v1.Reps/UpsertRep") { (request: Baton_V1_UpsertRepRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.upsertRep(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Reps/GetRep") { (request: Baton_V1_GetRepRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.getRep(request) }
            },
            .unary("/baton.v1.Reps/ListReps") { (request: Baton_V1_ListRepsRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.listReps(request) }
            },
            .unary("/baton.v1.Reps/SetPresence") { (request: Baton_V1_SetPresenceRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.setPresence(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Reps/UpsertTeam") { (request: Baton_V1_UpsertTeamRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.upsertTeam(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Reps/ListTeams") { (request: Baton_V1_ListTeamsRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.listTeams(request) }
            },
        ]
    }
}
