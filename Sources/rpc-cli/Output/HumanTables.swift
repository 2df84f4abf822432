import BatonProtos
import Foundation

/// The text rendering of the messages people look at rather than parse: every response that
/// returns reps, chats, meetings or slots is a table (a chat: its summary line and transcript),
/// events are lines. Everything else prints as indented JSON.
enum HumanTables {
    /// The message as a table or line, or nil when it has no human rendering.
    static func render(_ bytes: [UInt8], messageName: String) throws -> String? {
        switch messageName {
        case Baton_V1_ListRepsResponse.protoMessageName:
            let response = try decode(bytes, as: Baton_V1_ListRepsResponse.self)
            return reps(response.reps) + morePages(response.page)
        case Baton_V1_GetRepResponse.protoMessageName:
            return reps([try decode(bytes, as: Baton_V1_GetRepResponse.self).rep].compactMap { $0 })
        case Baton_V1_SetPresenceResponse.protoMessageName:
            return reps([try decode(bytes, as: Baton_V1_SetPresenceResponse.self).rep].compactMap { $0 })
        case Baton_V1_UpsertRepResponse.protoMessageName:
            let response = try decode(bytes, as: Baton_V1_UpsertRepResponse.self)
            return reps([response.rep].compactMap { $0 }) + (response.created ? "\n(created)" : "\n(updated)")
        case Baton_V1_ListChatsResponse.protoMessageName:
            let response = try decode(bytes, as: Baton_V1_ListChatsResponse.self)
            return ChatText.chats(response.chats) + morePages(response.page)
        case Baton_V1_StartChatResponse.protoMessageName:
            return ChatText.chat(try decode(bytes, as: Baton_V1_StartChatResponse.self).chat)
        case Baton_V1_EndChatResponse.protoMessageName:
            return ChatText.chat(try decode(bytes, as: Baton_V1_EndChatResponse.self).chat)
        case Baton_V1_AcceptTransferResponse.protoMessageName:
            let response = try decode(bytes, as: Baton_V1_AcceptTransferResponse.self)
            return ChatText.resolved(response.transfer, response.chat, appended: response.appendedEntries)
        case Baton_V1_DeclineTransferResponse.protoMessageName:
            let response = try decode(bytes, as: Baton_V1_DeclineTransferResponse.self)
            return ChatText.resolved(response.transfer, response.chat, appended: [])
        case Baton_V1_CancelTransferResponse.protoMessageName:
            let response = try decode(bytes, as: Baton_V1_CancelTransferResponse.self)
            return ChatText.resolved(response.transfer, response.chat, appended: [])
        case Baton_V1_ListTransferTargetsResponse.protoMessageName:
            return transferTargets(try decode(bytes))
        case Baton_V1_QueryAvailabilityResponse.protoMessageName:
            return slots(try decode(bytes, as: Baton_V1_QueryAvailabilityResponse.self).slots)
        case Baton_V1_Event.protoMessageName:
            return EventLine(try decode(bytes)).text
        case Baton_V1_GetChatResponse.protoMessageName:
            return ChatText.chat(try decode(bytes))
        case Baton_V1_TransferChatResponse.protoMessageName:
            return ChatText.transfer(try decode(bytes))
        case Baton_V1_ShowMeetingBookerResponse.protoMessageName:
            return ChatText.booker(try decode(bytes))
        case Baton_V1_BookMeetingResponse.protoMessageName:
            return meetings([try decode(bytes, as: Baton_V1_BookMeetingResponse.self).meeting].compactMap { $0 })
        case Baton_V1_CancelMeetingResponse.protoMessageName:
            return meetings([try decode(bytes, as: Baton_V1_CancelMeetingResponse.self).meeting].compactMap { $0 })
        case Baton_V1_ListMeetingsResponse.protoMessageName:
            let response = try decode(bytes, as: Baton_V1_ListMeetingsResponse.self)
            return meetings(response.meetings) + morePages(response.page)
        default:
            return nil
        }
    }

    private static func decode<Message: ProtoMessage>(_ bytes: [UInt8], as: Message.Type = Message.self) throws -> Message {
        try CLIFailure.mapping { try Message(serializedBytes: bytes) }
    }

    static func reps(_ reps: [Baton_V1_Rep]) -> String {
        var table = TextTable("ID", "NAME", "ROLE", "PRESENCE", "STATUS", "CHATS", "CAN TAKE", "TEAMS")
        for rep in reps {
            table.append(
                rep.id, rep.displayName, label(rep.role), label(rep.presence), label(rep.status), chats(rep),
                rep.canTakeTransfer ? "yes" : "no", rep.teamIDs.joined(separator: ",")
            )
        }
        return table.rendered
    }

    static func transferTargets(_ response: Baton_V1_ListTransferTargetsResponse) -> String {
        var table = TextTable("REP", "NAME", "PRESENCE", "STATUS", "CHATS", "ELIGIBLE", "WHY NOT", "NEXT FREE SLOT")
        for target in response.targets {
            let rep = target.rep ?? Baton_V1_Rep()
            table.append(
                rep.id, rep.displayName, label(rep.presence), label(rep.status), chats(rep),
                target.eligible ? "yes" : "no", target.eligible ? "" : label(target.reason),
                target.nextFreeSlot.map { localTime($0.startTime, zone: rep.timeZone) } ?? ""
            )
        }
        return table.rendered
    }

    static func slots(_ slots: [Baton_V1_Slot]) -> String {
        var table = TextTable("REP", "START (UTC)", "END (UTC)")
        for slot in slots {
            table.append(slot.repID, utcTime(slot.startTime), utcTime(slot.endTime))
        }
        return table.rendered
    }

    static func meetings(_ meetings: [Baton_V1_Meeting]) -> String {
        var table = TextTable("MEETING", "REP", "START (UTC)", "END (UTC)", "STATE", "VISITOR", "CHAT")
        for meeting in meetings {
            table.append(
                meeting.id, meeting.repID, utcTime(meeting.startTime), utcTime(meeting.endTime), label(meeting.state),
                meeting.visitor.map { $0.email.isEmpty ? $0.name : "\($0.name) <\($0.email)>" } ?? "", meeting.chatID
            )
        }
        return table.rendered
    }

    /// A last line saying how to get the next page, when there is one: a table must not look
    /// complete when it is not.
    static func morePages(_ page: Baton_V1_PageResponse?) -> String {
        guard let token = page?.nextPageToken, !token.isEmpty else { return "" }
        return "\n(more: pass \"page\":{\"pageToken\":\"\(token)\"})"
    }

    /// "1/3" (active of capacity), or "1" when the rep has no limit.
    private static func chats(_ rep: Baton_V1_Rep) -> String {
        rep.maxActiveChats == 0 ? "\(rep.activeChatCount)" : "\(rep.activeChatCount)/\(rep.maxActiveChats)"
    }

    /// An enum value without its type prefix, in lower case: `PRESENCE_LOGGED_IN` is "logged in".
    static func label<Value: ProtoEnum>(_ value: Value) -> String {
        guard value.rawValue != 0 else { return "" }
        let name = ProtoEnumDescriptor.lookup(Value.protoEnumName)?.name(of: value.rawValue) ?? "\(value.rawValue)"
        let typeName = Value.protoEnumName.split(separator: ".").last.map(String.init) ?? ""
        let prefix = typeName.reduce(into: "") { prefix, character in
            if character.isUppercase, !prefix.isEmpty { prefix += "_" }
            prefix += character.uppercased()
        } + "_"
        let bare = name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
        return bare.lowercased().replacingOccurrences(of: "_", with: " ")
    }

    /// "Fri 27 Nov 09:00 Europe/Lisbon": the time as the rep reads it on their calendar.
    static func localTime(_ timestamp: Google_Protobuf_Timestamp?, zone: String) -> String {
        guard let timestamp, let timeZone = TimeZone(identifier: zone) else { return utcTime(timestamp) }
        return format(timestamp, "EEE dd MMM HH:mm", timeZone) + " " + zone
    }

    /// "2026-11-27 09:00": minutes are what slots are made of.
    static func utcTime(_ timestamp: Google_Protobuf_Timestamp?) -> String {
        guard let timestamp else { return "" }
        return format(timestamp, "yyyy-MM-dd HH:mm", TimeZone(identifier: "UTC")!)
    }

    private static func format(_ timestamp: Google_Protobuf_Timestamp, _ pattern: String, _ zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(timestamp.seconds)))
    }
}
