/// Who makes a call, for the event log: the client's request id (`request-id` metadata).
public struct Caller: Sendable {
    /// The `request-id` metadata of the call; empty when it had none.
    public var requestID: String

    public init(requestID: String = "") { self.requestID = requestID }

    /// The server acting on its own (sweeps, demo seeding).
    public static let server = Caller()
}
