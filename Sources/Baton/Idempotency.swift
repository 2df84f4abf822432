import BatonProtos
import Foundation

/// Retries with the same idempotency key get the first call's response; the same key with a
/// different request is refused. Runs inside the call's transaction, so the response is
/// remembered exactly when the change commits.
enum Idempotency {
    /// What a remembered key with a different request means.
    enum Mismatch {
        /// The client reused its key: INVALID_ARGUMENT, IDEMPOTENCY_KEY_REUSED.
        case refuse
        /// The key is the object's id (answering a transfer), so another caller's request is
        /// simply checked afresh, and fails on the object's current state.
        case recheck
    }

    static func run<Request: ProtoMessage, Response: ProtoMessage>(
        _ transaction: any StoreTransaction,
        method: String,
        key: String,
        request: Request,
        now: Date,
        onMismatch: Mismatch = .refuse,
        _ body: () throws -> Response
    ) throws -> Response {
        guard !key.isEmpty else { return try body() }
        let fingerprint = try request.serializedBytes()
        if let remembered = try transaction.rememberedResponse(method: method, key: key) {
            guard remembered.fingerprint == fingerprint else {
                if onMismatch == .recheck { return try body() }
                throw BatonError(
                    .invalidArgument,
                    .idempotencyKeyReused,
                    "idempotency_key \(key) was already used for a different \(method) request"
                )
            }
            return try Response(serializedBytes: remembered.response)
        }
        let response = try body()
        try transaction.remember(
            RememberedResponse(fingerprint: fingerprint, response: try response.serializedBytes()),
            method: method,
            key: key,
            at: now
        )
        return response
    }
}
