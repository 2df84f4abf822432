import BatonProtos
import NIOCore

/// Writes frames to a connection and flushes once per event-loop turn, so the frames produced
/// together (a call's HEADERS, MESSAGE and TRAILERS; many calls' replies) leave in one system
/// call. Confined to the connection's event loop.
final class FrameWriter {
    private let context: ChannelHandlerContext
    private var flushScheduled = false

    init(context: ChannelHandlerContext) {
        self.context = context
    }

    func write(_ frame: RPCFrame) {
        context.write(NIOAny(RPCOutbound.frame(frame)), promise: nil)
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context.flush()
        }
    }
}

/// Serializes an envelope message (headers, trailers, settings, ...). They hold only what the
/// runtime put in them, with strings made NUL-free, so they always encode.
func encodeEnvelope<Message: ProtoMessage>(_ message: Message) -> ByteBuffer {
    ByteBuffer(bytes: (try? message.serializedBytes()) ?? [])
}
