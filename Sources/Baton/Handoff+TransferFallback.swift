import BatonProtos
import Foundation

/// A transfer that failed after posting a meeting booker (UNAVAILABLE_ACTION_OFFER_SLOTS_AND_POST_BOOKER):
/// the booker must commit while the call still fails, so this carries the failure out of the
/// idempotent body to where the transaction can commit and the error be returned.
struct PostedBookerFailure: Error {
    let error: BatonError
    let detail: Baton_V1_TransferUnavailable
}

extension Handoff {
    /// Where a failed transfer that posted a booker is remembered, apart from the responses of
    /// successful transfers, so a retry gets the same error and no second booker.
    private static let fallbackMethod = "TransferChat.booker"

    /// The FAILED_PRECONDITION for a target who cannot take `chat`, carrying, when `request`
    /// asks for the fallback and the reason is about the moment, the target's next free slots;
    /// with POST_BOOKER and slots to offer, the booker is posted into `chat` and the failure
    /// thrown as a `PostedBookerFailure` so that it commits.
    func unavailableTarget(
        _ target: Baton_V1_Rep,
        chat: inout Baton_V1_Chat,
        reason: Baton_V1_IneligibilityReason,
        request: Baton_V1_TransferRequest,
        change: Change
    ) throws -> Error {
        var detail = Baton_V1_TransferUnavailable()
        detail.chatID = chat.id
        detail.targetRepID = target.id
        detail.reason = reason
        detail.chatVersion = chat.version
        var message = "\(target.displayName) (\(target.id)) \(Eligibility.describe(reason))"
        let action = request.onUnavailable
        guard (action == .offerSlots || action == .offerSlotsAndPostBooker) && Eligibility.isAvailabilityReason(reason)
        else { return Self.unavailableError(message, reason: reason, detail) }
        let length =
            request.meetingLengthMinutes != 0
            ? request.meetingLengthMinutes : try defaultLength(of: target, change.transaction)
        detail.nextFreeSlots = try nextFreeSlots(
            of: target,
            lengthMinutes: length,
            limit: request.maxSlots == 0 ? 5 : Int(request.maxSlots),
            now: change.now,
            change.transaction
        )
        message +=
            detail.nextFreeSlots.isEmpty
            ? "; they have no free calendar slots" : "; offering their next \(detail.nextFreeSlots.count) free slots"
        guard action == .offerSlotsAndPostBooker && !detail.nextFreeSlots.isEmpty else {
            return Self.unavailableError(message, reason: reason, detail)
        }
        let text =
            request.bookerMessage.isEmpty
            ? "\(target.displayName) is not available right now; pick a time that suits you to meet them."
            : request.bookerMessage
        detail.bookerEntry = try postBooker(
            into: &chat,
            reps: [target],
            teamID: "",
            lengthMinutes: length,
            slots: detail.nextFreeSlots,
            text: text,
            unavailableTargetID: target.id,
            change: change,
            change.transaction
        )
        detail.chatVersion = chat.version
        message += " in a meeting booker posted into the chat"
        return PostedBookerFailure(error: Self.unavailableError(message, reason: reason, detail), detail: detail)
    }

    /// The rep's earliest free slots from now, searched 31 days at a time up to their horizon.
    func nextFreeSlots(
        of rep: Baton_V1_Rep,
        lengthMinutes: UInt32,
        limit: Int,
        now: Date,
        _ reader: any StoreReader
    ) throws -> [Baton_V1_Slot] {
        guard let schedule = try reader.schedule(repID: rep.id) else { return [] }
        let horizonEnd = now.addingTimeInterval(RepCalendar(schedule, repTimeZone: rep.timeZone).horizon)
        var slots: [Baton_V1_Slot] = []
        var from = now
        while slots.count < limit && from < horizonEnd {
            let to = min(from.addingTimeInterval(Self.maxAvailabilityRange), horizonEnd.addingTimeInterval(86400))
            slots += try freeSlots(
                of: [rep],
                in: from..<to,
                lengthMinutes: lengthMinutes,
                now: now,
                limit: limit - slots.count,
                reader
            )
            from = to
        }
        return slots
    }

    /// `write` for TransferChat: a body failing with a `PostedBookerFailure` commits (the booker
    /// stays posted, and the failure is remembered under the request's key) and its error is
    /// thrown after the commit; a retry of such a call gets the same error without running `body`.
    func writeKeepingPostedBooker<Response: Sendable>(
        _ request: Baton_V1_TransferRequest,
        _ body: @escaping @Sendable (any StoreTransaction, Date) throws -> Response
    ) async throws(BatonError) -> Response {
        let outcome: Result<Response, BatonError> = try await write { transaction, now in
            if let failure = try rememberedBookerFailure(transaction, key: request.idempotencyKey, request: request) {
                return .failure(failure)
            }
            do {
                return .success(try body(transaction, now))
            } catch let posted as PostedBookerFailure {
                try remember(posted, transaction, request: request, now: now)
                return .failure(posted.error)
            }
        }
        return try outcome.get()
    }

    /// The failure a retry of a transfer that posted a booker gets, or nil when `key` names none.
    private func rememberedBookerFailure(
        _ transaction: any StoreTransaction,
        key: String,
        request: Baton_V1_TransferRequest
    ) throws -> BatonError? {
        guard !key.isEmpty, let remembered = try transaction.rememberedResponse(method: Self.fallbackMethod, key: key)
        else { return nil }
        guard remembered.fingerprint == (try request.serializedBytes()) else {
            throw BatonError(
                .invalidArgument,
                .idempotencyKeyReused,
                "idempotency_key \(key) was already used for a different TransferChat request"
            )
        }
        let detail = try Baton_V1_TransferUnavailable(serializedBytes: remembered.response)
        return Self.unavailableError(
            "\(detail.targetRepID) cannot take the chat; a meeting booker was posted into the chat",
            reason: detail.reason,
            detail
        )
    }

    /// Remembers a transfer failure that posted a booker under the request's key.
    private func remember(
        _ failure: PostedBookerFailure,
        _ transaction: any StoreTransaction,
        request: Baton_V1_TransferRequest,
        now: Date
    ) throws {
        guard !request.idempotencyKey.isEmpty else { return }
        try transaction.remember(
            RememberedResponse(
                fingerprint: try request.serializedBytes(),
                response: try failure.detail.serializedBytes()
            ),
            method: Self.fallbackMethod,
            key: request.idempotencyKey,
            at: now
        )
    }

    private static func unavailableError(
        _ message: String,
        reason: Baton_V1_IneligibilityReason,
        _ detail: Baton_V1_TransferUnavailable
    ) -> BatonError {
        BatonError(
            .failedPrecondition,
            Eligibility.errorReason(reason),
            message,
            resource: .rep,
            id: detail.targetRepID,
            detail: .transferUnavailable(detail)
        )
    }
}
