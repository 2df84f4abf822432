/// A violation of the wire protocol. It ends the connection: the peer is told why in a GOAWAY.
public struct RPCProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    static func frameTooLarge(_ length: Int, max: Int) -> Self {
        .init("frame payload of \(length) bytes exceeds the limit of \(max) bytes")
    }
}
