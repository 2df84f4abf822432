import BatonProtos
import NIOCore

/// What a wire does for the calls of one connection. The call core (`ServerCall`, its state
/// machine, `ServerCallCore`) speaks only in metadata, messages and statuses; how they become
/// bytes is the wire's business. Baton's frames are one implementation
/// (`ServerConnectionHandler`); gRPC over HTTP/2 plugs in as another. Every method is called on
/// the connection's event loop.
protocol ServerCallTransport: AnyObject {
    /// Response metadata, before the call's first message (only when there is some).
    func sendResponseHeaders(_ metadata: RPCMetadata, streamID: UInt32)
    /// One response message.
    func sendResponseMessage(_ message: ByteBuffer, streamID: UInt32)
    /// One response message still to pack: a wire packs it straight into its outbound bytes.
    func sendResponseMessage(_ message: ProtoPackable, streamID: UInt32)
    /// The call's status (`error` nil: OK) and trailing metadata; the call has ended.
    func sendTrailers(error: RPCError?, metadata: RPCMetadata, streamID: UInt32)
    /// Message credit the client may use for more request messages.
    func grantRequestMessages(_ messages: Int, streamID: UInt32)
    /// False while the connection holds more unwritten bytes than its limit.
    var isWritable: Bool { get }
    /// Calls `call.writeBufferDrained()` once the connection is writable again.
    func retryWhenWritable(_ call: ServerCall)
    /// The call ended (trailers sent, or abandoned): the wire forgets its stream.
    func callEnded(_ call: ServerCall)
}
