import BatonProtos
import Foundation

extension Handoff {
    /// Chats/StartChat.
    public func startChat(
        _ request: Baton_V1_StartChatRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_StartChatResponse
    {
        let visitor = request.visitor ?? Baton_V1_Visitor()
        var validator = Validator()
        validator.text(visitor.id, "visitor.id", max: 128)
        validator.text(visitor.name, "visitor.name", max: 200)
        validator.text(visitor.email, "visitor.email", max: 254)
        validator.id(request.ownerRepID, "owner_rep_id", required: false)
        validator.id(request.teamID, "team_id", required: request.ownerRepID.isEmpty)
        validator.text(request.firstMessage, "first_message", max: 16384)
        validator.idempotencyKey(request.idempotencyKey)
        try validator.check()
        var actor = Baton_V1_Actor()
        actor.kind = .visitor
        actor.id = visitor.id
        let visitorActor = actor
        return try await write { transaction, now in
            try Idempotency.run(
                transaction,
                method: "StartChat",
                key: request.idempotencyKey,
                request: request,
                now: now
            ) {
                let change = Change(transaction, now: now, actor: visitorActor, caller: caller)
                if !request.teamID.isEmpty, try transaction.team(request.teamID) == nil {
                    throw BatonError.teamNotFound(request.teamID)
                }
                let owner = try chooseOwner(request, transaction)
                var chat = Baton_V1_Chat()
                chat.id = try transaction.nextID(.chat)
                chat.visitor = visitor
                chat.ownerRepID = owner.id
                chat.teamID = request.teamID.isEmpty ? owner.teamIDs.first ?? "" : request.teamID
                chat.state = .active
                chat.version = 1
                chat.createdAt = change.timestamp
                chat.updatedAt = change.timestamp
                try transaction.save(chat)
                var started = Baton_V1_ChatStarted()
                started.chat = chat
                try change.emit(.chatStarted, chat: chat, reps: [owner.id], payload: .chatStarted(started))
                if !request.firstMessage.isEmpty {
                    try change.append(
                        to: &chat,
                        kind: .message,
                        visibility: .everyone,
                        text: request.firstMessage,
                        author: visitorActor
                    )
                }
                chat.transcript = try transaction.entries(chatID: chat.id, after: 0, limit: nil, everyoneOnly: false)
                var response = Baton_V1_StartChatResponse()
                response.chat = chat
                return response
            }
        }
    }

    /// The named owner, or the team's logged-in, available member under capacity with the
    /// fewest active chats (ties by id).
    private func chooseOwner(
        _ request: Baton_V1_StartChatRequest,
        _ transaction: any StoreTransaction
    ) throws
        -> Baton_V1_Rep
    {
        if !request.ownerRepID.isEmpty {
            guard let owner = try transaction.rep(request.ownerRepID) else {
                throw BatonError.repNotFound(request.ownerRepID)
            }
            if !request.teamID.isEmpty && !owner.teamIDs.contains(request.teamID) {
                var validator = Validator()
                validator.fail("owner_rep_id", "rep \(owner.id) is not a member of team \(request.teamID)")
                try validator.check()
            }
            return owner
        }
        let candidates = try hydrate(transaction.reps().filter { $0.teamIDs.contains(request.teamID) }, transaction)
            .filter(Eligibility.canTakeTransfer)
        guard let owner = candidates.min(by: { ($0.activeChatCount, $0.id) < ($1.activeChatCount, $1.id) }) else {
            throw BatonError(
                .failedPrecondition,
                .noRepAvailable,
                "no member of team \(request.teamID) is available",
                resource: .team,
                id: request.teamID
            )
        }
        return owner
    }

    /// Chats/PostMessage.
    public func postMessage(
        _ request: Baton_V1_PostMessageRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_PostMessageResponse
    {
        let author = request.author ?? .system
        var validator = Validator()
        validator.id(request.chatID, "chat_id")
        validator.actor(author, "author")
        validator.known(request.visibility, "visibility", knownRange: 0...2)
        validator.text(request.text, "text", max: 16384, required: true)
        validator.idempotencyKey(request.idempotencyKey)
        try validator.check()
        let visibility = request.visibility == .unspecified ? Baton_V1_Visibility.everyone : request.visibility
        var normalizedAuthor = author
        if normalizedAuthor.kind == .unspecified { normalizedAuthor = .system }
        let writer = normalizedAuthor
        return try await write { transaction, now in
            try Idempotency.run(
                transaction,
                method: "PostMessage",
                key: request.idempotencyKey,
                request: request,
                now: now
            ) {
                guard var chat = try transaction.chat(request.chatID) else {
                    throw BatonError.chatNotFound(request.chatID)
                }
                try checkVersion(request.expectedVersion, chat)
                try checkActive(chat)
                try checkAuthor(writer, visibility: visibility, chat: chat, transaction)
                let change = Change(transaction, now: now, actor: writer, caller: caller)
                let entry = try change.append(
                    to: &chat,
                    kind: .message,
                    visibility: visibility,
                    text: request.text,
                    author: writer
                )
                var response = Baton_V1_PostMessageResponse()
                response.entry = entry
                response.chatVersion = chat.version
                return response
            }
        }
    }

    /// The visitor writes as themself to everyone; the owner or a manager of the chat's team
    /// writes anything; other reps of a permitted team only reps-only notes.
    private func checkAuthor(
        _ author: Baton_V1_Actor,
        visibility: Baton_V1_Visibility,
        chat: Baton_V1_Chat,
        _ reader: any StoreReader
    ) throws {
        switch author.kind {
        case .visitor:
            if !author.id.isEmpty && author.id != chat.visitor?.id ?? "" {
                throw BatonError(
                    .permissionDenied,
                    .actorNotPermitted,
                    "visitor \(author.id) is not this chat's visitor"
                )
            }
            if visibility != .everyone {
                var validator = Validator()
                validator.fail("visibility", "a visitor's messages are visible to everyone")
                try validator.check()
            }
        case .rep:
            guard let rep = try reader.rep(author.id) else { throw BatonError.repNotFound(author.id) }
            if mayManage(rep, chat) { return }
            let teams = Dictionary(uniqueKeysWithValues: try reader.teams().map { ($0.id, $0) })
            guard visibility == .repsOnly && Eligibility.isPermitted(rep, for: chat, teams: teams) else {
                let what = visibility == .repsOnly ? "notes" : "visitor-visible messages"
                throw BatonError.notPermitted("rep \(rep.id) may not write \(what) in chat \(chat.id)", rep: rep.id)
            }
        default:
            return
        }
    }

    /// Chats/GetChat.
    public func getChat(_ request: Baton_V1_GetChatRequest) async throws(BatonError) -> Baton_V1_GetChatResponse {
        var validator = Validator()
        validator.id(request.chatID, "chat_id")
        validator.sequence(request.afterSequence, "after_sequence")
        try validator.check()
        return try await read { reader in
            guard var chat = try reader.chat(request.chatID) else { throw BatonError.chatNotFound(request.chatID) }
            let limit = request.maxEntries == 0 ? nil : Int(request.maxEntries) + 1
            var entries = try reader.entries(
                chatID: chat.id,
                after: request.afterSequence,
                limit: limit,
                everyoneOnly: request.visitorView
            )
            var response = Baton_V1_GetChatResponse()
            if let limit, entries.count == limit {
                entries.removeLast()
                response.transcriptHasMore = true
            }
            chat.transcript = entries
            response.chat = chat
            return response
        }
    }

    /// Chats/ListChats.
    public func listChats(_ request: Baton_V1_ListChatsRequest) async throws(BatonError) -> Baton_V1_ListChatsResponse {
        var validator = Validator()
        validator.id(request.ownerRepID, "owner_rep_id", required: false)
        validator.id(request.teamID, "team_id", required: false)
        validator.known(request.state, "state", knownRange: 0...2)
        try validator.check()
        let size = Paging.size(request.page)
        let position = try Paging.key(request.page, list: "chats", fields: 3) { key -> ChatListPosition? in
            // A token is the client's to write: only an instant the codec would take from it is one.
            guard let seconds = Int64(key[0]), Google_Protobuf_Timestamp.validSeconds.contains(seconds),
                let nanos = Int32(key[1]), Google_Protobuf_Timestamp.validNanos.contains(nanos)
            else { return nil }
            var updatedAt = Google_Protobuf_Timestamp()
            updatedAt.seconds = seconds
            updatedAt.nanos = nanos
            return ChatListPosition(updatedAt: updatedAt, id: String(key[2]))
        }
        let chats = try await read { reader in
            try reader.chats(
                ownerRepID: request.ownerRepID.isEmpty ? nil : request.ownerRepID,
                teamID: request.teamID.isEmpty ? nil : request.teamID,
                state: request.state == .unspecified ? nil : request.state,
                after: position,
                limit: size + 1
            )
        }
        var response = Baton_V1_ListChatsResponse()
        let (page, next) = Paging.cut(chats, size: size, list: "chats") { chat in
            let updatedAt = chat.updatedAt ?? Google_Protobuf_Timestamp()
            return [String(updatedAt.seconds), String(updatedAt.nanos), chat.id]
        }
        response.chats = page
        response.page = next
        return response
    }

    /// Chats/EndChat.
    public func endChat(
        _ request: Baton_V1_EndChatRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_EndChatResponse
    {
        let actor = request.endedBy ?? .system
        var validator = Validator()
        validator.id(request.chatID, "chat_id")
        validator.actor(actor, "ended_by")
        try validator.check()
        let ender = actor.kind == .unspecified ? Baton_V1_Actor.system : actor
        return try await write { transaction, now in
            guard var chat = try transaction.chat(request.chatID) else {
                throw BatonError.chatNotFound(request.chatID)
            }
            var response = Baton_V1_EndChatResponse()
            if chat.state == .ended {
                response.chat = chat
                return response
            }
            try checkVersion(request.expectedVersion, chat)
            switch ender.kind {
            case .rep:
                guard let rep = try transaction.rep(ender.id) else { throw BatonError.repNotFound(ender.id) }
                if !mayManage(rep, chat) {
                    throw BatonError.notPermitted("rep \(rep.id) may not end chat \(chat.id)", rep: rep.id)
                }
            case .visitor:
                if !ender.id.isEmpty && ender.id != chat.visitor?.id ?? "" {
                    throw BatonError(
                        .permissionDenied,
                        .actorNotPermitted,
                        "visitor \(ender.id) is not this chat's visitor"
                    )
                }
            default: break
            }
            let change = Change(transaction, now: now, actor: ender, caller: caller)
            if let pending = chat.pendingTransfer {
                try resolve(
                    pending,
                    as: .cancelled,
                    chat: &chat,
                    change: Change(transaction, now: now, actor: .system, caller: caller),
                    by: "",
                    reason: "chat ended"
                )
            }
            chat.state = .ended
            chat.endedAt = change.timestamp
            change.touch(&chat)
            try transaction.save(chat)
            var ended = Baton_V1_ChatEnded()
            ended.chat = chat
            try change.emit(.chatEnded, chat: chat, reps: [chat.ownerRepID], payload: .chatEnded(ended))
            response.chat = chat
            return response
        }
    }

    /// The chat's owner, or a manager of the chat's team.
    func mayManage(_ rep: Baton_V1_Rep, _ chat: Baton_V1_Chat) -> Bool {
        rep.id == chat.ownerRepID || (rep.role == .manager && !chat.teamID.isEmpty && rep.teamIDs.contains(chat.teamID))
    }

    func checkVersion(_ expected: Baton_V1_ExpectedVersion?, _ chat: Baton_V1_Chat) throws {
        try checkVersion(expected, .chat, chat.id, current: chat.version)
    }

    /// Optimistic concurrency: fails with ABORTED (VersionConflict) unless the caller's expected
    /// version, if any, is the current one (0 for something that does not exist yet).
    func checkVersion(
        _ expected: Baton_V1_ExpectedVersion?,
        _ kind: Baton_V1_ResourceKind,
        _ id: String,
        current: UInt64
    ) throws {
        if let expected, expected.value != current {
            throw BatonError.versionConflict(kind, id, expected: expected.value, current: current)
        }
    }

    func checkActive(_ chat: Baton_V1_Chat) throws {
        if chat.state != .active {
            throw BatonError(
                .failedPrecondition,
                .chatNotActive,
                "chat \(chat.id) has ended",
                resource: .chat,
                id: chat.id
            )
        }
    }
}
