import BatonProtos
import NIOCore

/// Encodes a connection's outbound bytes (its preface, then frames) straight into one buffer and
/// hands that to the channel once per event-loop turn, with one flush: the frames produced
/// together (a call's HEADERS, MESSAGE and TRAILERS; many calls' replies) leave in one system
/// call, without a pipeline write, an allocation and a copy per frame. Confined to the
/// connection's event loop.
final class FrameWriter {
    /// Past this many buffered bytes the buffer is handed to the channel at once (still flushed
    /// at the end of the turn), so that the channel's writability, which bounds the write buffer,
    /// counts a long burst of responses within one turn.
    static let defaultHandOverBytes = 16 * 1024
    private static let initialCapacity = 4 * 1024

    private let context: ChannelHandlerContext
    private let handOverBytes: Int
    private var pending: ByteBuffer
    private var flushScheduled = false

    /// `handOverBytes` below the default keeps what waits here small next to a small write-buffer
    /// limit, which only counts what the channel holds.
    init(context: ChannelHandlerContext, handOverBytes: Int = FrameWriter.defaultHandOverBytes) {
        self.context = context
        self.handOverBytes = max(1, handOverBytes)
        self.pending = context.channel.allocator.buffer(capacity: Self.initialCapacity)
    }

    func writePreface() {
        RPCPreface.write(into: &pending)
        scheduleFlush()
    }

    func write(_ frame: RPCFrame) {
        frame.write(into: &pending)
        if pending.readableBytes >= handOverBytes { handOver() }
        scheduleFlush()
    }

    /// A MESSAGE frame whose payload protobuf-c packs in place, right after the header.
    func writeMessage(_ message: ProtoPackable, streamID: UInt32) {
        pending.reserveCapacity(minimumWritableBytes: RPCFrame.headerSize + message.byteCount)
        RPCFrame.writeHeader(payloadLength: message.byteCount, streamID: streamID, kind: .message, into: &pending)
        pending.writeWithUnsafeMutableBytes(minimumWritableBytes: message.byteCount) { destination in
            message.pack(into: destination)
            return message.byteCount
        }
        if pending.readableBytes >= handOverBytes { handOver() }
        scheduleFlush()
    }

    /// Writes and flushes what is buffered now, for a connection about to close.
    func flush() {
        handOver()
        context.flush()
    }

    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flush()
        }
    }

    private func handOver() {
        guard pending.readableBytes > 0 else { return }
        context.write(NIOAny(pending), promise: nil)
        // The channel holds the written bytes until the socket takes them: a new buffer, not a copy.
        pending.clear(minimumCapacity: Self.initialCapacity)
    }
}

/// Serializes an envelope message (headers, trailers, settings, ...). They hold only what the
/// runtime put in them, with strings made NUL-free, so they always encode.
func encodeEnvelope<Message: ProtoMessage>(_ message: Message) -> ByteBuffer {
    (try? ProtoPackable(message)).map(ByteBuffer.init(packing:)) ?? ByteBuffer()
}

extension ByteBuffer {
    /// The message's wire format, packed straight into a buffer of its size.
    init(packing message: ProtoPackable) {
        self = ByteBufferAllocator().buffer(capacity: message.byteCount)
        writeWithUnsafeMutableBytes(minimumWritableBytes: message.byteCount) { destination in
            message.pack(into: destination)
            return message.byteCount
        }
    }
}
