import BatonProtos

extension Change {
    /// Appends `entry` (kind, visibility, author, text and its meeting fields already set) to
    /// `chat`'s transcript, bumps its version, and emits MESSAGE_POSTED: `append(to:...)` for
    /// entries that carry a meeting id or a meeting booker.
    func append(_ entry: Baton_V1_TranscriptEntry, to chat: inout Baton_V1_Chat) throws -> Baton_V1_TranscriptEntry {
        var entry = entry
        entry.sequence = chat.transcriptLength + 1
        entry.time = timestamp
        chat.transcriptLength = entry.sequence
        touch(&chat)
        try transaction.append(entry, chatID: chat.id)
        try transaction.save(chat)
        var posted = Baton_V1_MessagePosted()
        posted.entry = entry
        posted.chatVersion = chat.version
        try emit(.messagePosted, chat: chat, reps: [chat.ownerRepID], payload: .messagePosted(posted))
        return entry
    }
}
