import BatonProtos
import Foundation

/// One write in progress: the transaction, its time, who causes it. Appends transcript entries
/// and events so that they share the change's transaction, actor and request id.
struct Change {
    let transaction: any StoreTransaction
    let now: Date
    let actor: Baton_V1_Actor
    let requestID: String

    init(_ transaction: any StoreTransaction, now: Date, actor: Baton_V1_Actor, caller: Caller) {
        self.transaction = transaction
        self.now = now
        self.actor = actor
        self.requestID = caller.requestID
    }

    var timestamp: Google_Protobuf_Timestamp { Google_Protobuf_Timestamp(now) }

    /// Appends an entry to `chat`'s transcript, bumps its version, and emits MESSAGE_POSTED.
    @discardableResult
    func append(
        to chat: inout Baton_V1_Chat,
        kind: Baton_V1_TranscriptEntryKind,
        visibility: Baton_V1_Visibility,
        text: String,
        author: Baton_V1_Actor,
        transferID: String = ""
    ) throws -> Baton_V1_TranscriptEntry {
        var entry = Baton_V1_TranscriptEntry()
        entry.sequence = chat.transcriptLength + 1
        entry.author = author
        entry.kind = kind
        entry.visibility = visibility
        entry.text = text
        entry.time = timestamp
        entry.transferID = transferID
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

    /// A reps-only audit line written by the system.
    @discardableResult
    func audit(
        _ chat: inout Baton_V1_Chat,
        _ text: String,
        transferID: String = ""
    ) throws
        -> Baton_V1_TranscriptEntry
    {
        try append(
            to: &chat,
            kind: .audit,
            visibility: .repsOnly,
            text: text,
            author: .system,
            transferID: transferID
        )
    }

    /// Bumps the chat's version and update time (not saved).
    func touch(_ chat: inout Baton_V1_Chat) {
        chat.version += 1
        chat.updatedAt = timestamp
    }

    /// Appends an event about `chat` (if any) concerning `reps`; teams are the chat's and the reps'.
    func emit(
        _ kind: Baton_V1_EventKind,
        chat: Baton_V1_Chat? = nil,
        reps: [String],
        teams extraTeams: [String] = [],
        payload: Baton_V1_Event.OneOf_Payload
    ) throws {
        var event = Baton_V1_Event()
        event.time = timestamp
        event.kind = kind
        event.actorKind = actor.kind
        event.actorRepID = actor.kind == .rep ? actor.id : ""
        event.requestID = requestID
        event.chatID = chat?.id ?? ""
        var repIDs: [String] = []
        for id in reps + (actor.kind == .rep ? [actor.id] : []) where !id.isEmpty && !repIDs.contains(id) {
            repIDs.append(id)
        }
        var teamIDs: [String] = []
        var candidates = extraTeams
        if let team = chat?.teamID { candidates.append(team) }
        for id in repIDs { candidates += try transaction.rep(id)?.teamIDs ?? [] }
        for id in candidates where !id.isEmpty && !teamIDs.contains(id) { teamIDs.append(id) }
        event.repIDs = repIDs
        event.teamIDs = teamIDs
        event.payload = payload
        try transaction.append(event)
    }
}

extension Baton_V1_Actor {
    /// Baton itself.
    static var system: Baton_V1_Actor {
        var actor = Baton_V1_Actor()
        actor.kind = .system
        return actor
    }

    /// A rep.
    static func rep(_ id: String) -> Baton_V1_Actor {
        var actor = Baton_V1_Actor()
        actor.kind = .rep
        actor.id = id
        return actor
    }
}
