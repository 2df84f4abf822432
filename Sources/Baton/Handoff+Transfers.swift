import BatonProtos
import Foundation

extension Handoff {
    /// Chats/ListTransferTargets.
    public func listTransferTargets(
        _ request: Baton_V1_ListTransferTargetsRequest
    ) async throws(BatonError)
        -> Baton_V1_ListTransferTargetsResponse
    {
        var validator = Validator()
        validator.id(request.chatID, "chat_id")
        try validator.check()
        let now = clock.now
        return try await read { reader in
            guard let chat = try reader.chat(request.chatID) else { throw BatonError.chatNotFound(request.chatID) }
            let teams = Dictionary(uniqueKeysWithValues: try reader.teams().map { ($0.id, $0) })
            let ownerTeams = try reader.rep(chat.ownerRepID)?.teamIDs ?? []
            var targets: [Baton_V1_TransferTarget] = []
            for rep in try hydrate(reader.reps(), reader) {
                let candidate =
                    chat.teamID.isEmpty || rep.id == chat.ownerRepID
                    || Eligibility.isPermitted(rep, for: chat, teams: teams)
                    || rep.teamIDs.contains(where: ownerTeams.contains)
                guard candidate else { continue }
                var target = Baton_V1_TransferTarget()
                target.rep = rep
                let reason = Eligibility.reason(target.rep!, for: chat, teams: teams)
                target.eligible = reason == nil
                target.reason = reason ?? .unspecified
                if request.includeNextFreeSlot && reason != nil {
                    target.nextFreeSlot = try nextFreeSlots(of: rep, lengthMinutes: 0, limit: 1, now: now, reader).first
                }
                if !request.eligibleOnly || target.eligible { targets.append(target) }
            }
            targets.sort { left, right in
                (left.eligible ? 0 : 1, left.rep!.displayName, left.rep!.id)
                    < (right.eligible ? 0 : 1, right.rep!.displayName, right.rep!.id)
            }
            var response = Baton_V1_ListTransferTargetsResponse()
            response.targets = targets
            response.chatVersion = chat.version
            return response
        }
    }

    /// Chats/TransferChat.
    public func transferChat(
        _ request: Baton_V1_TransferRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_TransferChatResponse
    {
        var validator = Validator()
        validator.id(request.chatID, "chat_id")
        validator.id(request.actingRepID, "acting_rep_id")
        validator.id(request.targetRepID, "target_rep_id")
        validator.text(request.note, "note", max: 2000)
        validator.text(request.visitorMessage, "visitor_message", max: 2000)
        validator.known(request.mode, "mode", knownRange: 0...2)
        validator.known(request.onUnavailable, "on_unavailable", knownRange: 0...3)
        validator.idempotencyKey(request.idempotencyKey)
        if request.requestTTLSeconds > 3600 {
            validator.fail("request_ttl_seconds", "request_ttl_seconds \(request.requestTTLSeconds) is above 3600")
        }
        if request.maxSlots > 50 { validator.fail("max_slots", "max_slots \(request.maxSlots) is above 50") }
        validator.range(request.meetingLengthMinutes, "meeting_length_minutes", 5...480, zeroAllowed: true)
        validator.text(request.bookerMessage, "booker_message", max: 2000)
        try validator.check()
        let ttl = request.requestTTLSeconds == 0 ? defaultRequestTTL : request.requestTTLSeconds
        return try await writeKeepingPostedBooker(request) { transaction, now in
            try Idempotency.run(
                transaction,
                method: "TransferChat",
                key: request.idempotencyKey,
                request: request,
                now: now
            ) {
                guard var chat = try transaction.chat(request.chatID) else {
                    throw BatonError.chatNotFound(request.chatID)
                }
                guard let actor = try transaction.rep(request.actingRepID) else {
                    throw BatonError.repNotFound(request.actingRepID)
                }
                guard let target = try transaction.rep(request.targetRepID) else {
                    throw BatonError.repNotFound(request.targetRepID, reason: .targetNotFound)
                }
                try checkVersion(request.expectedVersion, chat)
                try checkActive(chat)
                if let pending = chat.pendingTransfer {
                    throw BatonError(
                        .failedPrecondition,
                        .transferAlreadyPending,
                        "chat \(chat.id) already has pending transfer \(pending.id)",
                        resource: .transfer,
                        id: pending.id
                    )
                }
                guard mayManage(actor, chat) else {
                    throw BatonError.notPermitted(
                        "rep \(actor.id) is neither the owner of chat \(chat.id) nor a manager of its team",
                        rep: actor.id
                    )
                }
                let teams = Dictionary(uniqueKeysWithValues: try transaction.teams().map { ($0.id, $0) })
                let hydratedTarget = try hydrate(target, transaction)
                if let reason = Eligibility.reason(hydratedTarget, for: chat, teams: teams) {
                    let change = Change(transaction, now: now, actor: .rep(actor.id), caller: caller)
                    throw try unavailableTarget(
                        hydratedTarget,
                        chat: &chat,
                        reason: reason,
                        request: request,
                        change: change
                    )
                }
                let change = Change(transaction, now: now, actor: .rep(actor.id), caller: caller)
                var response = Baton_V1_TransferChatResponse()
                if request.mode == .request {
                    var transfer = Baton_V1_PendingTransfer()
                    transfer.id = try transaction.nextID(.transfer)
                    transfer.chatID = chat.id
                    transfer.fromRepID = chat.ownerRepID
                    transfer.toRepID = target.id
                    transfer.requestedByRepID = actor.id
                    transfer.note = request.note
                    transfer.visitorMessage = request.visitorMessage
                    transfer.state = .pending
                    transfer.createdAt = change.timestamp
                    transfer.expiresAt = Google_Protobuf_Timestamp(now.addingTimeInterval(Double(ttl)))
                    try transaction.save(transfer)
                    chat.pendingTransfer = transfer
                    change.touch(&chat)
                    try transaction.save(chat)
                    var requested = Baton_V1_TransferRequested()
                    requested.transfer = transfer
                    requested.chatVersion = chat.version
                    try change.emit(
                        .transferRequested,
                        chat: chat,
                        reps: [chat.ownerRepID, target.id],
                        payload: .transferRequested(requested)
                    )
                    if !request.note.isEmpty {
                        response.appendedEntries.append(
                            try change.append(
                                to: &chat,
                                kind: .transferNote,
                                visibility: .repsOnly,
                                text: request.note,
                                author: .rep(actor.id),
                                transferID: transfer.id
                            )
                        )
                    }
                    response.outcome = .pending
                    response.pendingTransfer = transfer
                } else {
                    let fromName = try transaction.rep(chat.ownerRepID)?.displayName ?? chat.ownerRepID
                    let byOwner = actor.id == chat.ownerRepID
                    try changeOwner(&chat, to: target, mode: .direct, transferID: "", change: change)
                    response.appendedEntries.append(
                        try change.audit(
                            &chat,
                            "\(actor.displayName) transferred the chat "
                                + (byOwner ? "" : "from \(fromName) ") + "to \(target.displayName)"
                        )
                    )
                    if !request.note.isEmpty {
                        response.appendedEntries.append(
                            try change.append(
                                to: &chat,
                                kind: .transferNote,
                                visibility: .repsOnly,
                                text: request.note,
                                author: .rep(actor.id)
                            )
                        )
                    }
                    if !request.visitorMessage.isEmpty {
                        response.appendedEntries.append(
                            try change.append(
                                to: &chat,
                                kind: .transferMessage,
                                visibility: .everyone,
                                text: request.visitorMessage,
                                author: .rep(actor.id)
                            )
                        )
                    }
                    response.outcome = .transferred
                }
                response.chat = chat
                return response
            }
        }
    }

    /// The FAILED_PRECONDITION for a target who cannot take the chat, with its detail.
    private func unavailable(
        _ target: Baton_V1_Rep,
        chat: Baton_V1_Chat,
        reason: Baton_V1_IneligibilityReason
    ) -> BatonError {
        var detail = Baton_V1_TransferUnavailable()
        detail.chatID = chat.id
        detail.targetRepID = target.id
        detail.reason = reason
        detail.chatVersion = chat.version
        let message = "\(target.displayName) (\(target.id)) \(Eligibility.describe(reason))"
        return BatonError(
            .failedPrecondition,
            Eligibility.errorReason(reason),
            message,
            resource: .rep,
            id: target.id,
            detail: .transferUnavailable(detail)
        )
    }

    /// Hands `chat` to `target` and emits TRANSFER_COMPLETED (entries are appended by the caller).
    private func changeOwner(
        _ chat: inout Baton_V1_Chat,
        to target: Baton_V1_Rep,
        mode: Baton_V1_TransferMode,
        transferID: String,
        change: Change
    ) throws {
        let from = chat.ownerRepID
        chat.ownerRepID = target.id
        change.touch(&chat)
        try change.transaction.save(chat)
        var completed = Baton_V1_TransferCompleted()
        completed.fromRepID = from
        completed.toRepID = target.id
        completed.mode = mode
        completed.transferID = transferID
        completed.chatVersion = chat.version
        try change.emit(
            .transferCompleted,
            chat: chat,
            reps: [target.id, from],
            payload: .transferCompleted(completed)
        )
    }

    /// Chats/AcceptTransfer.
    public func acceptTransfer(
        _ request: Baton_V1_AcceptTransferRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_AcceptTransferResponse
    {
        try validateAnswer(request.transferID, request.actingRepID, reason: nil)
        return try await write { transaction, now in
            try Idempotency.run(
                transaction,
                method: "AcceptTransfer",
                key: request.transferID,
                request: request,
                now: now,
                onMismatch: .recheck
            ) {
                var (transfer, chat, actor) = try loadAnswer(request.transferID, request.actingRepID, transaction)
                guard actor.id == transfer.toRepID else {
                    throw BatonError.notPermitted(
                        "only \(transfer.toRepID) may accept transfer \(transfer.id)",
                        rep: actor.id
                    )
                }
                try checkPending(transfer, now: now)
                let target = try hydrate(actor, transaction)
                if target.maxActiveChats > 0 && target.activeChatCount >= target.maxActiveChats {
                    throw unavailable(target, chat: chat, reason: .atCapacity)
                }
                let change = Change(transaction, now: now, actor: .rep(actor.id), caller: caller)
                let fromName = try transaction.rep(transfer.fromRepID)?.displayName ?? transfer.fromRepID
                transfer.state = .accepted
                transfer.resolvedAt = change.timestamp
                transfer.resolvedByRepID = actor.id
                try transaction.save(transfer)
                chat.pendingTransfer = nil
                try changeOwner(&chat, to: target, mode: .request, transferID: transfer.id, change: change)
                var response = Baton_V1_AcceptTransferResponse()
                response.appendedEntries.append(
                    try change.audit(
                        &chat,
                        "\(actor.displayName) accepted the transfer from \(fromName)",
                        transferID: transfer.id
                    )
                )
                if !transfer.visitorMessage.isEmpty {
                    response.appendedEntries.append(
                        try change.append(
                            to: &chat,
                            kind: .transferMessage,
                            visibility: .everyone,
                            text: transfer.visitorMessage,
                            author: .rep(transfer.requestedByRepID),
                            transferID: transfer.id
                        )
                    )
                }
                response.chat = chat
                response.transfer = transfer
                return response
            }
        }
    }

    /// Chats/DeclineTransfer.
    public func declineTransfer(
        _ request: Baton_V1_DeclineTransferRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_DeclineTransferResponse
    {
        try await endPendingTransfer(
            request,
            method: "DeclineTransfer",
            transferID: request.transferID,
            actingRepID: request.actingRepID,
            reason: request.reason,
            as: .declined,
            caller: caller,
            refusal: { actor, transfer, _ in
                actor.id == transfer.toRepID ? nil : "only \(transfer.toRepID) may decline transfer \(transfer.id)"
            },
            response: { transfer, chat in
                var response = Baton_V1_DeclineTransferResponse()
                response.transfer = transfer
                response.chat = chat
                return response
            }
        )
    }

    /// Chats/CancelTransfer.
    public func cancelTransfer(
        _ request: Baton_V1_CancelTransferRequest,
        caller: Caller
    ) async throws(BatonError)
        -> Baton_V1_CancelTransferResponse
    {
        try await endPendingTransfer(
            request,
            method: "CancelTransfer",
            transferID: request.transferID,
            actingRepID: request.actingRepID,
            reason: request.reason,
            as: .cancelled,
            caller: caller,
            refusal: { [self] actor, transfer, chat in
                actor.id == transfer.requestedByRepID || mayManage(actor, chat)
                    ? nil : "rep \(actor.id) may not cancel transfer \(transfer.id)"
            },
            response: { transfer, chat in
                var response = Baton_V1_CancelTransferResponse()
                response.transfer = transfer
                response.chat = chat
                return response
            }
        )
    }

    /// Declining and cancelling end a pending transfer the same way, remembered under the
    /// transfer id so a retry gets the same answer; they differ in who may act (`refusal` says
    /// why an actor may not, or nil) and in the state the transfer ends in.
    private func endPendingTransfer<Request: ProtoMessage, Response: ProtoMessage>(
        _ request: Request,
        method: String,
        transferID: String,
        actingRepID: String,
        reason: String,
        as state: Baton_V1_TransferState,
        caller: Caller,
        refusal: @escaping @Sendable (Baton_V1_Rep, Baton_V1_PendingTransfer, Baton_V1_Chat) -> String?,
        response: @escaping @Sendable (Baton_V1_PendingTransfer, Baton_V1_Chat) -> Response
    ) async throws(BatonError) -> Response {
        try validateAnswer(transferID, actingRepID, reason: reason)
        return try await write { transaction, now in
            try Idempotency.run(
                transaction,
                method: method,
                key: transferID,
                request: request,
                now: now,
                onMismatch: .recheck
            ) {
                let (transfer, chat, actor) = try loadAnswer(transferID, actingRepID, transaction)
                if let why = refusal(actor, transfer, chat) {
                    throw BatonError.notPermitted(why, rep: actor.id)
                }
                try checkPending(transfer, now: now)
                var updated = chat
                let change = Change(transaction, now: now, actor: .rep(actor.id), caller: caller)
                let ended = try resolve(
                    transfer,
                    as: state,
                    chat: &updated,
                    change: change,
                    by: actor.id,
                    reason: reason
                )
                return response(ended, updated)
            }
        }
    }

    private func validateAnswer(_ transferID: String, _ actingRepID: String, reason: String?) throws(BatonError) {
        var validator = Validator()
        validator.id(transferID, "transfer_id")
        validator.id(actingRepID, "acting_rep_id")
        if let reason { validator.text(reason, "reason", max: 2000) }
        try validator.check()
    }

    private func loadAnswer(
        _ transferID: String,
        _ actingRepID: String,
        _ transaction: any StoreTransaction
    ) throws
        -> (Baton_V1_PendingTransfer, Baton_V1_Chat, Baton_V1_Rep)
    {
        guard let transfer = try transaction.transfer(transferID) else { throw BatonError.transferNotFound(transferID) }
        guard let actor = try transaction.rep(actingRepID) else { throw BatonError.repNotFound(actingRepID) }
        guard let chat = try transaction.chat(transfer.chatID) else { throw BatonError.chatNotFound(transfer.chatID) }
        return (transfer, chat, actor)
    }

    /// A transfer past its expiry counts as no longer pending even before the sweeper records it.
    private func checkPending(_ transfer: Baton_V1_PendingTransfer, now: Date) throws {
        let expired = transfer.expiresAt.map { $0.date <= now } ?? false
        if transfer.state != .pending || expired {
            throw BatonError(
                .failedPrecondition,
                .transferNotPending,
                "transfer \(transfer.id) is no longer pending",
                resource: .transfer,
                id: transfer.id
            )
        }
    }

    /// Ends a pending transfer without an owner change (declined, cancelled, expired): records
    /// it, clears it from the chat, writes the audit line and emits the matching event.
    @discardableResult
    func resolve(
        _ transfer: Baton_V1_PendingTransfer,
        as state: Baton_V1_TransferState,
        chat: inout Baton_V1_Chat,
        change: Change,
        by repID: String,
        reason: String
    ) throws -> Baton_V1_PendingTransfer {
        var transfer = transfer
        transfer.state = state
        transfer.resolvedAt = change.timestamp
        transfer.resolvedByRepID = repID
        let transaction = change.transaction
        let targetName = try transaction.rep(transfer.toRepID)?.displayName ?? transfer.toRepID
        let ownerName = try transaction.rep(chat.ownerRepID)?.displayName ?? chat.ownerRepID
        let actorName = try transaction.rep(repID)?.displayName ?? repID
        let line: String
        switch state {
        case .declined:
            transfer.declineReason = reason
            line = "\(targetName) declined the transfer" + (reason.isEmpty ? "" : ": \(reason)")
        case .expired:
            line = "The transfer to \(targetName) expired unanswered; the chat stays with \(ownerName)"
        default:
            transfer.cancelReason = reason
            line =
                (repID.isEmpty
                    ? "The transfer to \(targetName) was cancelled"
                    : "\(actorName) withdrew the transfer to \(targetName)")
                + (reason.isEmpty ? "" : ": \(reason)")
        }
        try transaction.save(transfer)
        chat.pendingTransfer = nil
        change.touch(&chat)
        try transaction.save(chat)
        let reps = [chat.ownerRepID, transfer.toRepID]
        switch state {
        case .declined:
            var payload = Baton_V1_TransferDeclined()
            payload.transfer = transfer
            payload.chatVersion = chat.version
            try change.emit(.transferDeclined, chat: chat, reps: reps, payload: .transferDeclined(payload))
        case .expired:
            var payload = Baton_V1_TransferExpired()
            payload.transfer = transfer
            payload.chatVersion = chat.version
            try change.emit(.transferExpired, chat: chat, reps: reps, payload: .transferExpired(payload))
        default:
            var payload = Baton_V1_TransferCancelled()
            payload.transfer = transfer
            payload.chatVersion = chat.version
            try change.emit(.transferCancelled, chat: chat, reps: reps, payload: .transferCancelled(payload))
        }
        try change.audit(&chat, line, transferID: transfer.id)
        return transfer
    }
}
