import Baton
import BatonProtos
import Testing

/// Presence and status, and leases the server enforces.
@Suite struct PresenceTests {
    @Test(arguments: TestEngine.allCases)
    func anExpiredLeaseLogsTheRepOutWithAnEvent(engine: TestEngine) async throws {
        let clock = ManualClock()
        try await TestBaton.with(engine, clock: clock) { baton in
            _ = try await baton.seedStory()
            let _: Baton_V1_SetPresenceResponse = try await baton.call(
                "Reps/SetPresence",
                Make.presence("ben", .loggedIn, .available, lease: 30)
            )
            clock.advance(seconds: 20)
            let renewed: Baton_V1_SetPresenceResponse = try await baton.call(
                "Reps/SetPresence",
                Make.presence("ben", .unspecified, .unspecified, lease: 30)
            )
            #expect(renewed.rep?.leaseExpiresAt?.date == clock.now.addingTimeInterval(30))
            clock.advance(seconds: 20)
            #expect(try await baton.handoff.sweep().loggedOutRepIDs.isEmpty)
            clock.advance(seconds: 10)
            #expect(try await baton.handoff.sweep().loggedOutRepIDs == ["ben"])

            var get = Baton_V1_GetRepRequest()
            get.repID = "ben"
            let ben: Baton_V1_GetRepResponse = try await baton.call("Reps/GetRep", get)
            #expect(ben.rep?.presence == .loggedOut)
            #expect(ben.rep?.status == .available)
            #expect(ben.rep?.canTakeTransfer == false)
            let expiry = try await baton.allEvents().last
            guard case .repPresenceChanged(let change) = expiry?.payload else {
                Issue.record("the last event is not a presence change: \(String(describing: expiry))")
                return
            }
            #expect(change.cause == .leaseExpired && change.presence == .loggedOut)
            #expect(expiry?.actorKind == .system)
        }
    }

    @Test(arguments: TestEngine.allCases)
    func aRenewalAloneEmitsNothingButAChangeDoes(engine: TestEngine) async throws {
        try await TestBaton.with(engine) { baton in
            _ = try await baton.seedStory()
            let before = try await baton.allEvents().count
            let _: Baton_V1_SetPresenceResponse = try await baton.call(
                "Reps/SetPresence",
                Make.presence("ana", .loggedIn, .available, lease: 60)
            )
            #expect(try await baton.allEvents().count == before)
            let _: Baton_V1_SetPresenceResponse = try await baton.call(
                "Reps/SetPresence",
                Make.presence("ana", .unspecified, .busy),
                requestID: "r-busy"
            )
            let last = try await baton.allEvents().last
            #expect(last?.kind == .repStatusChanged && last?.requestID == "r-busy" && last?.actorRepID == "ana")
        }
    }
}
