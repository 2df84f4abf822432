import Baton
import BatonProtos
import BatonRPC

/// `baton.v1.Calendars`: schedules, free slots, meetings and the meeting booker.
public struct CalendarsService: RPCService {
    private let handoff: Handoff

    public init(handoff: Handoff) { self.handoff = handoff }

    public var methods: [RPCMethodHandler] {
        let handoff = self.handoff
        return [
            .unary("/baton.v1.Calendars/SetSchedule") { (request: Baton_V1_SetScheduleRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.setSchedule(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Calendars/GetSchedule") { (request: Baton_V1_GetScheduleRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.getSchedule(request) }
            },
            .unary("/baton.v1.Calendars/QueryAvailability") { (request: Baton_V1_QueryAvailabilityRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.queryAvailability(request) }
            },
            .unary("/baton.v1.Calendars/BookMeeting") { (request: Baton_V1_BookMeetingRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.bookMeeting(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Calendars/CancelMeeting") { (request: Baton_V1_CancelMeetingRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.cancelMeeting(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Calendars/ListMeetings") { (request: Baton_V1_ListMeetingsRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.listMeetings(request) }
            },
            .unary("/baton.v1.Calendars/ShowMeetingBooker") { (request: Baton_V1_ShowMeetingBookerRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.showMeetingBooker(request, caller: Caller(context))
                }
            },
        ]
    }
}
