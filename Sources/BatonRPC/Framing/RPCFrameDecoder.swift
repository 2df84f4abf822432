import NIOCore

/// What the frame decoder produces: the peer's preface once, then frames.
public enum RPCInbound: Sendable, Hashable {
    case preface(version: UInt16)
    case frame(RPCFrame)
}

/// Splits the byte stream into the preface and frames. Every length is checked against the
/// limit before any of the body is read or buffered, so a hostile length costs nothing.
public struct RPCFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RPCInbound

    private let maxFrameSize: Int
    private var sawPreface = false

    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let inbound = try decode(buffer: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(inbound))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while let inbound = try decode(buffer: &buffer) {
            context.fireChannelRead(wrapInboundOut(inbound))
        }
        return .needMoreData
    }

    /// Decodes one preface or frame, or returns nil when more bytes are needed.
    mutating func decode(buffer: inout ByteBuffer) throws(RPCProtocolError) -> RPCInbound? {
        if !sawPreface {
            // Judge the magic as soon as its bytes arrive, so a peer speaking another protocol
            // is told at once rather than left waiting for ten bytes.
            let available = min(buffer.readableBytes, RPCPreface.magic.count)
            if let prefix = buffer.getBytes(at: buffer.readerIndex, length: available),
                prefix != Array(RPCPreface.magic.prefix(available))
            {
                throw RPCProtocolError("the connection did not start with the Baton preface (\"BATONRPC\" and a version)")
            }
            guard buffer.readableBytes >= RPCPreface.size else { return nil }
            buffer.moveReaderIndex(forwardBy: RPCPreface.magic.count)
            sawPreface = true
            return .preface(version: buffer.readInteger(as: UInt16.self)!)
        }
        guard buffer.readableBytes >= RPCFrame.headerSize else { return nil }
        let start = buffer.readerIndex
        let length = Int(buffer.getInteger(at: start, as: UInt32.self)!)
        if length > maxFrameSize {
            throw .frameTooLarge(length, max: maxFrameSize)
        }
        let streamID = buffer.getInteger(at: start + 4, as: UInt32.self)!
        let typeByte = buffer.getInteger(at: start + 8, as: UInt8.self)!
        let flags = buffer.getInteger(at: start + 9, as: UInt8.self)!
        guard let kind = RPCFrame.Kind(wireValue: typeByte) else {
            throw RPCProtocolError("unknown frame type \(typeByte)")
        }
        if kind.isConnectionLevel != (streamID == 0) {
            throw RPCProtocolError(
                kind.isConnectionLevel
                    ? "\(kind) frame on stream \(streamID); it belongs on stream 0"
                    : "\(kind) frame on stream 0; it needs a call's stream id"
            )
        }
        guard buffer.readableBytes >= RPCFrame.headerSize + length else { return nil }
        buffer.moveReaderIndex(forwardBy: RPCFrame.headerSize)
        let payload = buffer.readSlice(length: length)!
        return .frame(RPCFrame(streamID: streamID, kind: kind, flags: flags, payload: payload))
    }
}
