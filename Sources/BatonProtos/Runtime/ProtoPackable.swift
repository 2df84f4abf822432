internal import CBatonProtobufC

/// A message whose protobuf-c struct is built and whose encoded size is known, to be packed
/// straight into storage its user sizes first (a frame's payload after the frame's header):
/// no intermediate array and one copy fewer than `serializedBytes()`.
public struct ProtoPackable {
    /// Owns the struct `writer` built.
    private let arena: Arena
    private let writer: ProtoCWriter
    /// The length of the message's wire format.
    public let byteCount: Int

    /// Builds `message`'s struct. Fails only for strings holding U+0000, which protobuf-c's
    /// NUL-terminated strings cannot carry.
    public init<M: ProtoMessage>(_ message: M) throws(ProtoCodecError) {
        let arena = Arena()
        self.arena = arena
        self.writer = try ProtoCWriter.build(message, in: arena.allocator)
        self.byteCount = protobuf_c_message_get_packed_size(writer.message)
    }

    /// Packs the message into the first `byteCount` bytes of `destination`.
    public func pack(into destination: UnsafeMutableRawBufferPointer) {
        precondition(
            destination.count >= byteCount,
            "a \(byteCount)-byte message packed into \(destination.count) bytes"
        )
        guard byteCount > 0, let start = destination.baseAddress else { return }
        withExtendedLifetime(arena) {
            _ = protobuf_c_message_pack(writer.message, start.assumingMemoryBound(to: UInt8.self))
        }
    }
}
