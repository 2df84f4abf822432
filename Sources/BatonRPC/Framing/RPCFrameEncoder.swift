import NIOCore

/// What a connection writes: its preface once, then frames.
public enum RPCOutbound: Sendable {
    case preface
    case frame(RPCFrame)
}

/// Writes prefaces and frames (header, then payload) to the byte stream.
public struct RPCFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RPCOutbound

    public init() {}

    public func encode(data: RPCOutbound, out: inout ByteBuffer) {
        switch data {
        case .preface:
            RPCPreface.write(into: &out)
        case .frame(let frame):
            frame.write(into: &out)
        }
    }
}
