/// A store that could not do what it was asked for a reason outside the domain's rules: one the
/// operator fixes (a full disk, a read-only or failing disk) or a fault of the store itself.
/// Stores throw it for the errors of their engine; a body's own errors come as it threw them.
public struct StoreFailure: Error, Sendable, CustomStringConvertible {
    /// What failed, in the terms a caller and an operator act on.
    public enum Kind: Sendable, Hashable {
        /// The disk is full: writes fail until space is freed.
        case outOfSpace
        /// The database cannot be written: a read-only file or file system, a file moved away.
        case readOnly
        /// The disk failed a read or a write (an I/O error).
        case diskFailure
        /// A database server cannot be reached, or is starting or stopping; for a write whose
        /// commit was sent, whether it committed is unknown (a retry with its idempotency key
        /// tells).
        case unreachable
        /// Other writers kept conflicting with this one (deadlocks, keys taken first) after as
        /// many retries as the store makes: nothing was saved.
        case contention
        /// Anything else: a fault of the store itself.
        case `internal`
    }

    /// What failed.
    public var kind: Kind
    /// What the store reported, for the operator's log only: it may hold SQL and file paths.
    public var detail: String

    public init(_ kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind): \(detail)" }
}
