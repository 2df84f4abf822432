import Foundation

/// How long the sweep keeps the event log and the responses remembered for idempotency keys;
/// nil keeps them forever. Without a limit the database only ever grows.
public struct Retention: Sendable, Equatable {
    /// How long an event stays in the log after it was committed. The newest event always stays,
    /// so sequence numbers never restart.
    public var events: TimeInterval?
    /// How long a response answers retries of its idempotency key; after that a retry with the
    /// key is performed anew.
    public var idempotentResponses: TimeInterval?

    public init(events: TimeInterval? = nil, idempotentResponses: TimeInterval? = nil) {
        self.events = events
        self.idempotentResponses = idempotentResponses
    }

    /// Everything kept forever.
    public static let forever = Retention()
}
