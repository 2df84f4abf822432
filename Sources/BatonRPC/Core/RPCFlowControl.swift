import NIOCore

/// The flow-control windows of one call as either peer keeps them (PROTOCOL.md section 10): the
/// credit it has granted the peer for messages it receives, and the credit the peer has granted
/// it for messages it sends. The server and the client share it; the transitions return what to
/// do, and the caller performs it.
public struct RPCFlowControl: Sendable {
    /// A receiver grants credit back at least every this many consumed messages, whatever its
    /// window: a sender may pause once this many of its messages are unacknowledged (batond does,
    /// when they also exceed its byte cap) without ever deadlocking the call.
    public static let messagesPerGrant = 32

    // MARK: Receiving

    /// The window announced to the peer (SETTINGS `initial_window_messages`).
    private let receiveWindow: Int
    /// Messages the peer may still send before it needs a WINDOW_UPDATE.
    private var peerCredit: Int
    /// Messages consumed since the last grant: what the next WINDOW_UPDATE returns.
    private var consumedSinceGrant = 0

    // MARK: Sending

    /// Messages the peer still allows us to send; never above `maxSendCredit`.
    private(set) var sendCredit: Int
    private let maxSendCredit: Int
    /// Sizes of the sent messages the peer has not granted back yet, oldest first, and their
    /// total: what `maxUnacknowledgedBytes` caps. Nil when no byte cap applies (one response, or
    /// a client's requests).
    private var unacknowledgedSizes: CircularBuffer<Int>?
    private var unacknowledgedBytes = 0
    private let maxUnacknowledgedBytes: Int

    /// - Parameters:
    ///   - receiveWindow: the credit granted to the peer at the start of the call.
    ///   - sendWindow: the credit the peer granted us (its SETTINGS).
    ///   - maxSendCredit: a larger credit from the peer is taken as this much.
    ///   - maxUnacknowledgedBytes: once `messagesPerGrant` sent messages are unacknowledged, sending
    ///     pauses while they hold this many bytes; nil: no byte cap.
    init(receiveWindow: Int, sendWindow: Int, maxSendCredit: Int = .max, maxUnacknowledgedBytes: Int? = nil) {
        self.receiveWindow = receiveWindow
        self.peerCredit = receiveWindow
        self.maxSendCredit = maxSendCredit
        self.sendCredit = min(sendWindow, maxSendCredit)
        self.maxUnacknowledgedBytes = maxUnacknowledgedBytes ?? .max
        self.unacknowledgedSizes =
            maxUnacknowledgedBytes == nil ? nil : CircularBuffer(initialCapacity: Self.messagesPerGrant)
    }

    /// A message arrived from the peer; false when it went beyond the credit granted.
    mutating func receivedMessage() -> Bool {
        peerCredit -= 1
        return peerCredit >= 0
    }

    /// The application took a received message. Returns the credit to grant the peer now (one
    /// WINDOW_UPDATE), once half the window or `messagesPerGrant` messages are consumed,
    /// whichever is fewer; nil until then.
    mutating func consumedMessage() -> Int? {
        consumedSinceGrant += 1
        guard consumedSinceGrant * 2 >= receiveWindow || consumedSinceGrant >= Self.messagesPerGrant else {
            return nil
        }
        let grant = consumedSinceGrant
        consumedSinceGrant = 0
        peerCredit += grant
        return grant
    }

    /// Whether a message may be sent now: credit is left, and the byte cap (once enough messages
    /// are unacknowledged that the peer is bound to grant some back) is not reached.
    var allowsSending: Bool {
        guard sendCredit > 0 else { return false }
        guard let sizes = unacknowledgedSizes, sizes.count >= Self.messagesPerGrant else { return true }
        return unacknowledgedBytes < maxUnacknowledgedBytes
    }

    /// A message of `bytes` bytes was sent; only after `allowsSending` said so.
    mutating func sentMessage(bytes: Int) {
        sendCredit -= 1
        if unacknowledgedSizes != nil {
            unacknowledgedSizes!.append(bytes)
            unacknowledgedBytes += bytes
        }
    }

    /// The peer granted `count` more messages: the oldest `count` unacknowledged ones are
    /// acknowledged, and the credit grows up to `maxSendCredit`, so no sequence of grants can
    /// overflow it. Returns whether sending is allowed now.
    mutating func granted(_ count: Int) -> Bool {
        let (sum, overflow) = sendCredit.addingReportingOverflow(count)
        sendCredit = overflow ? maxSendCredit : min(sum, maxSendCredit)
        if unacknowledgedSizes != nil {
            for _ in 0..<min(count, unacknowledgedSizes!.count) {
                unacknowledgedBytes -= unacknowledgedSizes!.removeFirst()
            }
        }
        return allowsSending
    }
}
