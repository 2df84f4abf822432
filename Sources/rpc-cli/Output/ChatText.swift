import BatonProtos

/// Chats as a person reads them: a summary line, then the transcript entries as a table.
enum ChatText {
    static func chat(_ response: Baton_V1_GetChatResponse) -> String {
        guard let chat = response.chat else { return "" }
        var text = summary(chat) + "\n" + transcript(chat.transcript)
        if response.transcriptHasMore { text += "\n(more entries follow: pass afterSequence)" }
        return text
    }

    static func transfer(_ response: Baton_V1_TransferChatResponse) -> String {
        var lines = [HumanTables.label(response.outcome)]
        if let pending = response.pendingTransfer {
            lines[0] += ": \(pending.id) asks \(pending.toRepID) to take the chat"
        }
        if let chat = response.chat { lines.append(summary(chat)) }
        if !response.appendedEntries.isEmpty { lines.append(transcript(response.appendedEntries)) }
        return lines.joined(separator: "\n")
    }

    static func booker(_ response: Baton_V1_ShowMeetingBookerResponse) -> String {
        var lines: [String] = []
        let entries = [response.bookerEntry, response.auditEntry].compactMap { $0 }
        if !entries.isEmpty { lines.append(transcript(entries)) }
        lines.append("")
        lines.append(HumanTables.slots(response.slots))
        return lines.joined(separator: "\n")
    }

    /// `chat-1  active  owner ben  team sales  visitor Sam Lee <sam@example.org>  version 7`.
    private static func summary(_ chat: Baton_V1_Chat) -> String {
        var parts = [chat.id, HumanTables.label(chat.state), "owner \(chat.ownerRepID)"]
        if !chat.teamID.isEmpty { parts.append("team \(chat.teamID)") }
        if let visitor = chat.visitor {
            parts.append("visitor " + (visitor.email.isEmpty ? visitor.name : "\(visitor.name) <\(visitor.email)>"))
        }
        parts.append("version \(chat.version)")
        return parts.joined(separator: "  ")
    }

    private static func transcript(_ entries: [Baton_V1_TranscriptEntry]) -> String {
        var table = TextTable("#", "TIME (UTC)", "FROM", "KIND", "SEEN BY", "TEXT")
        for entry in entries {
            var text = entry.text
            if let booker = entry.meetingBooker { text += " [\(booker.slots.count) slots]" }
            table.append(
                "\(entry.sequence)", HumanTables.utcTime(entry.time), author(entry.author), HumanTables.label(entry.kind),
                HumanTables.label(entry.visibility), text
            )
        }
        return table.rendered
    }

    private static func author(_ actor: Baton_V1_Actor?) -> String {
        guard let actor else { return "" }
        return actor.id.isEmpty ? HumanTables.label(actor.kind) : actor.id
    }
}
