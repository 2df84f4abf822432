extension BatonError {
    /// What a caller is told when the store failed: a status it can act on (retry later, call
    /// another instance) and a message in its terms. The store's own words (SQL, file paths)
    /// stay in the operator's log.
    init(storeFailure error: any Error, writing: Bool) {
        let kind = (error as? StoreFailure)?.kind ?? .internal
        switch kind {
        case .outOfSpace:
            let outcome = writing ? "the change was not saved" : "try again later"
            self.init(.resourceExhausted, .unspecified, "the store is out of disk space; \(outcome)")
        // One message for both: a file made immutable or a file system remounted read-only
        // reaches SQLite as a failed write, not as a read-only database.
        case .readOnly, .diskFailure:
            let message =
                writing
                ? "the store cannot write to its disk; the change was not saved"
                : "the store cannot read its disk; try again later"
            self.init(.unavailable, .unspecified, message)
        case .unreachable:
            let message =
                writing
                ? "the store cannot be reached; the change may not have been saved, retry with the same idempotency key"
                : "the store cannot be reached; try again later"
            self.init(.unavailable, .unspecified, message)
        case .contention:
            self.init(.aborted, .unspecified, "the change conflicted with concurrent changes and was not saved; retry")
        case .internal:
            // PROTOCOL.md 11.1: INTERNAL carries exactly this message, no details.
            self.init(.internal, .unspecified, "internal error")
        }
    }
}
