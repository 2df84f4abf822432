/// Flow-control constants both sides rely on (PROTOCOL.md section 10).
public enum RPCFlowControl {
    /// A receiver grants credit back at least every this many consumed messages, whatever its
    /// window: a sender may pause once this many of its messages are unacknowledged (batond does,
    /// when they also exceed its byte cap) without ever deadlocking the call.
    public static let messagesPerGrant = 32
}
