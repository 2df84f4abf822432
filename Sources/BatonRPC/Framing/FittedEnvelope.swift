import BatonProtos
import NIOCore

/// The envelopes the server sends (TRAILERS, HEADERS, GOAWAY), cut to fit the client's
/// `max_frame_bytes`, so that no frame it receives is longer than it said it accepts
/// (PROTOCOL.md 3.2). What a program branches on goes last: a status message is cut first (it is
/// for people), then trailing metadata entries are dropped from the last, then error details
/// from the last; the status code always stays.
enum FittedEnvelope {
    /// The smallest `max_frame_bytes` a client may announce: room for any status code with a
    /// short message, any GOAWAY with a short reason, and the server's SETTINGS.
    static let minimumFrameBytes = 256

    static func trailers(
        status: Baton_Rpc_V1_Status,
        metadata: [Baton_Rpc_V1_MetadataEntry],
        maxBytes: Int
    ) -> ByteBuffer {
        var status = status
        var metadata = metadata
        func encoded() -> [UInt8] {
            var trailers = Baton_Rpc_V1_Trailers()
            trailers.status = status
            trailers.metadata = metadata
            return bytes(of: trailers)
        }
        var payload = encoded()
        if payload.count > maxBytes {
            status.message = cut(status.message, by: payload.count - maxBytes)
            payload = encoded()
        }
        if payload.count > maxBytes {
            metadata = dropLast(of: metadata, freeing: payload.count - maxBytes)
            payload = encoded()
        }
        if payload.count > maxBytes {
            status.details = dropLast(of: status.details, freeing: payload.count - maxBytes)
            payload = encoded()
        }
        return ByteBuffer(bytes: payload)
    }

    /// Response metadata; entries that do not fit are dropped from the last.
    static func responseHeaders(metadata: [Baton_Rpc_V1_MetadataEntry], maxBytes: Int) -> ByteBuffer {
        var headers = Baton_Rpc_V1_ResponseHeaders()
        headers.metadata = metadata
        var encoded = bytes(of: headers)
        if encoded.count > maxBytes {
            headers.metadata = dropLast(of: metadata, freeing: encoded.count - maxBytes)
            encoded = bytes(of: headers)
        }
        return ByteBuffer(bytes: encoded)
    }

    /// A GOAWAY whose reason is cut to fit.
    static func goAway(_ goAway: Baton_Rpc_V1_GoAway, maxBytes: Int) -> ByteBuffer {
        var goAway = goAway
        var encoded = bytes(of: goAway)
        if encoded.count > maxBytes {
            goAway.reason = cut(goAway.reason, by: encoded.count - maxBytes)
            encoded = bytes(of: goAway)
        }
        return ByteBuffer(bytes: encoded)
    }

    /// `text` at least `excess` bytes shorter, cut on a character boundary with `...` appended;
    /// empty when not even that fits. A shorter string never makes its message longer.
    private static func cut(_ text: String, by excess: Int) -> String {
        let budget = text.utf8.count - excess
        return budget >= 3 ? RPCError.wireSafe(text, maxBytes: budget) : ""
    }

    /// `elements` without as many of their last ones as it takes to shrink the message holding
    /// them by `excess` bytes. Each costs its field's tag, length and bytes; the lengths of the
    /// messages around it can only shrink too.
    private static func dropLast<Element: ProtoMessage>(of elements: [Element], freeing excess: Int) -> [Element] {
        var kept = elements
        var freed = 0
        while freed < excess, let last = kept.popLast() {
            let size = bytes(of: last).count
            freed += 1 + varintSize(size) + size
        }
        return kept
    }

    private static func varintSize(_ value: Int) -> Int {
        var size = 1
        var rest = value >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    /// They hold only what the runtime put in them, with strings made NUL-free, so they encode.
    private static func bytes<Message: ProtoMessage>(of message: Message) -> [UInt8] {
        (try? message.serializedBytes()) ?? []
    }
}
