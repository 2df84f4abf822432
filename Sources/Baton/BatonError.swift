import BatonProtos

/// A domain rule said no: a status code, the machine-readable reason and the object it is about,
/// a message for humans, and the schema's specific detail where errors.proto asks for one.
public struct BatonError: Error, Sendable, CustomStringConvertible {
    /// The gRPC status codes the domain uses; the service layer maps them one to one.
    public enum Code: Sendable {
        case invalidArgument, notFound, failedPrecondition, permissionDenied, aborted, outOfRange
        /// Not a rule but the store's disk: full.
        case resourceExhausted
        /// Not a rule but the store's disk: read-only or failing.
        case unavailable
        /// Not a rule but a fault, e.g. the store failed.
        case `internal`
    }

    /// The specific detail errors.proto pairs with the reason.
    public enum Detail: Sendable {
        case badRequest(Baton_V1_BadRequest)
        case versionConflict(Baton_V1_VersionConflict)
        case transferUnavailable(Baton_V1_TransferUnavailable)
        case bookingConflict(Baton_V1_BookingConflict)
    }

    /// The status code.
    public var code: Code
    /// The machine-readable reason and the object it is about.
    public var info: Baton_V1_ErrorInfo
    /// For humans; clients branch on `info.reason`.
    public var message: String
    /// The specific detail, when the reason has one.
    public var detail: Detail?

    public init(
        _ code: Code,
        _ reason: Baton_V1_ErrorReason,
        _ message: String,
        resource: Baton_V1_ResourceKind = .unspecified,
        id: String = "",
        detail: Detail? = nil
    ) {
        self.code = code
        info = Baton_V1_ErrorInfo()
        info.reason = reason
        info.resourceKind = resource
        info.resourceID = id
        self.message = message
        self.detail = detail
    }

    public var description: String { "\(code): \(message)" }

    static func repNotFound(_ id: String, reason: Baton_V1_ErrorReason = .repNotFound) -> BatonError {
        BatonError(.notFound, reason, "rep \(id) not found", resource: .rep, id: id)
    }

    static func teamNotFound(_ id: String) -> BatonError {
        BatonError(.notFound, .teamNotFound, "team \(id) not found", resource: .team, id: id)
    }

    static func chatNotFound(_ id: String) -> BatonError {
        BatonError(.notFound, .chatNotFound, "chat \(id) not found", resource: .chat, id: id)
    }

    static func transferNotFound(_ id: String) -> BatonError {
        BatonError(.notFound, .transferNotFound, "transfer \(id) not found", resource: .transfer, id: id)
    }

    static func versionConflict(
        _ kind: Baton_V1_ResourceKind,
        _ id: String,
        expected: UInt64,
        current: UInt64
    )
        -> BatonError
    {
        var conflict = Baton_V1_VersionConflict()
        conflict.resourceKind = kind
        conflict.resourceID = id
        conflict.expectedVersion = expected
        conflict.currentVersion = current
        return BatonError(
            .aborted,
            .versionConflict,
            "\(id) is at version \(current), not \(expected)",
            resource: kind,
            id: id,
            detail: .versionConflict(conflict)
        )
    }

    static func notPermitted(_ message: String, rep: String) -> BatonError {
        BatonError(.permissionDenied, .actorNotPermitted, message, resource: .rep, id: rep)
    }
}
