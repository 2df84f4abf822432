import NIOCore

/// One frame of Baton's wire protocol (see Protos/PROTOCOL.md): a 10-byte header
/// (payload length u32, stream id u32, type u8, flags u8; big-endian) and its payload.
public struct RPCFrame: Sendable, Hashable {
    /// The frame types. A struct over a private enum so new types do not break clients.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        let rawValue: UInt8
        private init(_ rawValue: UInt8) { self.rawValue = rawValue }

        /// Opens a call (client: `CallHeaders`) or carries response metadata (server: `ResponseHeaders`).
        public static let headers = Kind(1)
        /// One protobuf message of the call; an empty payload is an empty message.
        public static let message = Kind(2)
        /// Client to server: no more request messages on this call.
        public static let closeSend = Kind(3)
        /// Server to client: the call's status (`Trailers`); ends the call.
        public static let trailers = Kind(4)
        /// Client to server: abandon the call; the server cancels its handler.
        public static let cancel = Kind(5)
        /// Liveness check on stream 0 with 8 opaque bytes; answered with the same bytes and the ACK flag.
        public static let ping = Kind(6)
        /// Stream 0: the sender stops taking new calls (`GoAway`).
        public static let goAway = Kind(7)
        /// Stream 0: the sender's limits (`Settings`).
        public static let settings = Kind(8)
        /// Grants the peer more messages on a call (`WindowUpdate`).
        public static let windowUpdate = Kind(9)

        static let all: [Kind] = [.headers, .message, .closeSend, .trailers, .cancel, .ping, .goAway, .settings, .windowUpdate]

        init?(wireValue: UInt8) {
            guard wireValue >= 1, wireValue <= 9 else { return nil }
            self.rawValue = wireValue
        }

        public var description: String {
            ["HEADERS", "MESSAGE", "CLOSE_SEND", "TRAILERS", "CANCEL", "PING", "GOAWAY", "SETTINGS", "WINDOW_UPDATE"][
                Int(rawValue) - 1
            ]
        }

        /// Connection-level frames travel on stream 0; all others on a call's stream.
        var isConnectionLevel: Bool { self == .ping || self == .goAway || self == .settings }
    }

    /// Flag on PING: this is the answer.
    public static let ackFlag: UInt8 = 0x01

    public var streamID: UInt32
    public var kind: Kind
    public var flags: UInt8
    public var payload: ByteBuffer

    public init(streamID: UInt32, kind: Kind, flags: UInt8 = 0, payload: ByteBuffer = ByteBuffer()) {
        self.streamID = streamID
        self.kind = kind
        self.flags = flags
        self.payload = payload
    }

    /// The header's size on the wire.
    public static let headerSize = 10

    /// Appends the frame (header, then payload) to `buffer`.
    func write(into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: Self.headerSize + payload.readableBytes)
        Self.writeHeader(
            payloadLength: payload.readableBytes,
            streamID: streamID,
            kind: kind,
            flags: flags,
            into: &buffer
        )
        buffer.writeImmutableBuffer(payload)
    }

    /// Appends a frame's header; its payload of `payloadLength` bytes must follow.
    static func writeHeader(
        payloadLength: Int,
        streamID: UInt32,
        kind: Kind,
        flags: UInt8 = 0,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeInteger(UInt32(payloadLength))
        buffer.writeInteger(streamID)
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(flags)
    }
}

/// The 10 bytes each side sends first: the magic `BATONRPC` and the protocol version (u16).
public enum RPCPreface {
    public static let magic: [UInt8] = Array("BATONRPC".utf8)
    public static let version: UInt16 = 1
    public static let size = 10

    static func write(into buffer: inout ByteBuffer) {
        buffer.writeBytes(magic)
        buffer.writeInteger(version)
    }
}
