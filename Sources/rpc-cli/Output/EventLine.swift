import BatonProtos
import Foundation

/// One event as one line for a person following `rpc-cli watch`:
/// `#12  10:31:02  transfer completed  chat-1  by ana  ana -> ben`.
struct EventLine {
    let event: Baton_V1_Event

    init(_ event: Baton_V1_Event) { self.event = event }

    var text: String {
        let time = event.time.map { HumanTables.utcTime($0) } ?? ""
        var parts = ["#\(event.sequence)", time, HumanTables.label(event.kind)]
        if !event.chatID.isEmpty { parts.append(event.chatID) }
        if !event.actorRepID.isEmpty { parts.append("by \(event.actorRepID)") }
        if let summary, !summary.isEmpty { parts.append(summary) }
        return parts.joined(separator: "  ")
    }

    /// What changed, in a few words, for the kinds where the ids alone do not say it.
    private var summary: String? {
        switch event.payload {
        case .transferCompleted(let completed):
            return "\(completed.fromRepID) -> \(completed.toRepID)"
        case .transferRequested(let requested):
            return requested.transfer.map { "\($0.fromRepID) -> \($0.toRepID)" }
        case .messagePosted(let posted):
            return posted.entry.map { excerpt($0.text) }
        case .repPresenceChanged(let change):
            return "\(event.repIDs.joined(separator: ",")) \(HumanTables.label(change.previousPresence)) -> \(HumanTables.label(change.presence))"
        case .repStatusChanged(let change):
            return "\(event.repIDs.joined(separator: ",")) \(HumanTables.label(change.previousStatus)) -> \(HumanTables.label(change.status))"
        case .meetingBooked(let booked):
            return booked.meeting.map { "\($0.repID) at \(HumanTables.utcTime($0.startTime)) UTC" }
        default:
            return event.repIDs.isEmpty ? nil : event.repIDs.joined(separator: ",")
        }
    }

    /// The text in quotes, cut at 60 characters and one line.
    private func excerpt(_ text: String) -> String {
        let line = text.replacingOccurrences(of: "\n", with: " ")
        return "\"" + (line.count > 60 ? line.prefix(59) + "…" : line) + "\""
    }
}
