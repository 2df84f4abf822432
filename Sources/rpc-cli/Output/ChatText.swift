import BatonProtos

/// Chats as a person reads them: a summary line, then the transcript entries as a table.
enum ChatText {
    static func chat(_ response: Baton_V1_GetChatResponse) -> String {
        var text = chat(response.chat)
        if response.transcriptHasMore { text += "\n(more entries follow: pass afterSequence)" }
        return text
    }

    /// The summary line, then the transcript the response carries.
    static func chat(_ chat: Baton_V1_Chat?) -> String {
        guard let chat else { return "" }
        return summary(chat) + "\n" + transcript(chat.transcript)
    }

    /// One line per chat: `ListChats`.
    static func chats(_ chats: [Baton_V1_Chat]) -> String {
        var table = TextTable("CHAT", "STATE", "OWNER", "TEAM", "VISITOR", "ENTRIES", "VERSION", "UPDATED (UTC)")
        for chat in chats {
            table.append(
                chat.id, HumanTables.label(chat.state), chat.ownerRepID, chat.teamID, chat.visitor.map(visitor) ?? "",
                "\(chat.transcriptLength)", "\(chat.version)", HumanTables.utcTime(chat.updatedAt)
            )
        }
        return table.rendered
    }

    /// An answered or withdrawn two-phase transfer: `tr-1 accepted: ana -> ben`, then the chat.
    static func resolved(_ transfer: Baton_V1_PendingTransfer?, _ chat: Baton_V1_Chat?, appended: [Baton_V1_TranscriptEntry]) -> String {
        var lines: [String] = []
        if let transfer {
            lines.append("\(transfer.id) \(HumanTables.label(transfer.state)): \(transfer.fromRepID) -> \(transfer.toRepID)")
        }
        if let chat { lines.append(summary(chat)) }
        if !appended.isEmpty { lines.append(transcript(appended)) }
        return lines.joined(separator: "\n")
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
        if let visitor = chat.visitor { parts.append("visitor " + Self.visitor(visitor)) }
        parts.append("version \(chat.version)")
        return parts.joined(separator: "  ")
    }

    /// `Sam Lee <sam@example.org>`.
    private static func visitor(_ visitor: Baton_V1_Visitor) -> String {
        visitor.email.isEmpty ? visitor.name : "\(visitor.name) <\(visitor.email)>"
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
