/// Limits and behaviour of an `RPCServer`. Every limit is checked before the memory it guards
/// is allocated.
public struct RPCServerConfiguration: Sendable {
    /// The Unix socket path to listen on.
    public var socketPath: String
    /// The largest frame payload accepted; a larger length ends the connection (GOAWAY). At least
    /// `minimumMaxFrameSize`, as for a client (PROTOCOL.md 4.1).
    public var maxFrameSize: Int = 4 << 20
    /// The smallest `max_frame_bytes` either side may announce.
    public static let minimumMaxFrameSize = FittedEnvelope.minimumFrameBytes
    /// Calls in flight per connection; more are refused with RESOURCE_EXHAUSTED.
    public var maxConcurrentCallsPerConnection: Int = 100
    /// Open connections; more are refused with a GOAWAY saying RESOURCE_EXHAUSTED.
    public var maxConnections: Int = 256
    /// A connection with no call in flight for this long is closed (GOAWAY, then close).
    public var idleTimeout: Duration = .seconds(300)
    /// Messages a peer may send on one call before it needs more credit (WINDOW_UPDATE): the
    /// bound on what one call can buffer, `receiveWindow * maxFrameSize` at worst.
    public var receiveWindow: Int = 64
    /// Unwritten bytes a connection may hold (responses its client has not read yet). Past this
    /// the server stops reading the connection's frames and its handlers' sends wait; both resume
    /// once half of it has drained. The bound on a connection's write buffer is this plus one
    /// message.
    public var maxWriteBufferBytes: Int = 1 << 20
    /// The largest response window honoured per call: a client's SETTINGS or WINDOW_UPDATE that
    /// grants more is taken as this many messages. At least `RPCFlowControl.messagesPerGrant`, or
    /// a client that grants as PROTOCOL.md says would wait for messages that never come.
    public var maxWindowMessages: Int = 1024
    /// Response bytes per call the client has not granted back yet, once at least
    /// `RPCFlowControl.messagesPerGrant` messages are unacknowledged: past it the handler waits for
    /// a WINDOW_UPDATE.
    public var maxWindowBytes: Int = 16 << 20
    /// How long a graceful shutdown lets calls in flight finish before cancelling them.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// Peers allowed to connect, by uid or gid (SO_PEERCRED). Empty sets mean: the server's own
    /// uid only.
    public var allowedUIDs: Set<UInt32> = []
    public var allowedGIDs: Set<UInt32> = []
    /// The group that may use the socket; nil keeps the socket and its folder owner-only (0700).
    public var socketGroup: UInt32? = nil
    /// How many event loop threads serve connections (when the server makes its own group).
    public var eventLoopThreads: Int = System.coreCount
    /// Event loops to serve on instead of a group of the server's own; the caller shuts it down.
    public var eventLoopGroup: (any EventLoopGroup)? = nil

    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}

#if canImport(Glibc)
import Glibc
#endif
import NIOCore
