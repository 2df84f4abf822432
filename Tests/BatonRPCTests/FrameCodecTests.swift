import BatonRPC
import NIOCore
import NIOEmbedded
import Testing

@Suite("Frame codec")
struct FrameCodecTests {
    /// A channel that decodes inbound bytes into prefaces and frames.
    private func decodingChannel(maxFrameSize: Int = 1024) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(RPCFrameDecoder(maxFrameSize: maxFrameSize))
        )
        return channel
    }

    /// Everything the decoder produced so far.
    private func decoded(_ channel: EmbeddedChannel) throws -> [RPCInbound] {
        var inbound: [RPCInbound] = []
        while let next = try channel.readInbound(as: RPCInbound.self) { inbound.append(next) }
        return inbound
    }

    /// The bytes the encoder writes for `outbound`.
    private func encode(_ outbound: [RPCOutbound]) throws -> [UInt8] {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(RPCFrameEncoder()))
        var bytes: [UInt8] = []
        for item in outbound {
            try channel.writeOutbound(item)
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        }
        _ = try channel.finish()
        return bytes
    }

    private static let sampleFrames: [RPCFrame] = [
        RPCFrame(streamID: 1, kind: .headers, payload: ByteBuffer(bytes: [0x0a, 0x03, 0x2f, 0x61, 0x62])),
        RPCFrame(streamID: 1, kind: .message, payload: ByteBuffer(string: "hello")),
        RPCFrame(streamID: 1, kind: .message),
        RPCFrame(streamID: 1, kind: .closeSend),
        RPCFrame(streamID: 1, kind: .trailers, payload: ByteBuffer(bytes: [0x0a, 0x00])),
        RPCFrame(streamID: 3, kind: .cancel),
        RPCFrame(
            streamID: 0,
            kind: .ping,
            flags: RPCFrame.ackFlag,
            payload: ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        ),
        RPCFrame(streamID: 0, kind: .goAway, payload: ByteBuffer(bytes: [0x08, 0x05])),
        RPCFrame(streamID: 0, kind: .settings),
        RPCFrame(streamID: 0xFFFF_FFFF, kind: .windowUpdate, payload: ByteBuffer(bytes: [0x08, 0x20])),
    ]

    private static let wrongStreams: [(type: UInt8, stream: UInt32)] = [
        (Wire.ping, 1), (Wire.goAway, 2), (Wire.settings, 3),
        (Wire.headers, 0), (Wire.message, 0), (Wire.closeSend, 0), (Wire.trailers, 0), (Wire.cancel, 0),
        (Wire.windowUpdate, 0),
    ]

    @Test("the encoder writes the preface and 10-byte big-endian headers")
    func encoderWritesTheDocumentedLayout() throws {
        let bytes = try encode([
            .preface,
            .frame(RPCFrame(streamID: 0x0102_0304, kind: .message, flags: 0x80, payload: ByteBuffer(string: "abc"))),
            .frame(RPCFrame(streamID: 7, kind: .closeSend)),
        ])
        #expect(
            bytes == Array("BATONRPC".utf8) + [0x00, 0x01]
                + [0, 0, 0, 3, 0x01, 0x02, 0x03, 0x04, 2, 0x80] + Array("abc".utf8)
                + [0, 0, 0, 0, 0, 0, 0, 7, 3, 0]
        )
    }

    @Test("the preface and every frame type survive an encode/decode round trip")
    func roundTrip() throws {
        let bytes = try encode([.preface] + Self.sampleFrames.map { .frame($0) })
        let channel = try decodingChannel()
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        #expect(try decoded(channel) == [.preface(version: 1)] + Self.sampleFrames.map { .frame($0) })
        #expect(try channel.finish().isClean)
    }

    @Test("a stream fed one byte at a time yields each frame only once it is complete")
    func framesSplitAcrossManyReads() throws {
        let bytes = try encode([.preface] + Self.sampleFrames.map { .frame($0) })
        let frameEnds = Self.sampleFrames.reduce(into: [10]) { ends, frame in
            ends.append(ends.last! + RPCFrame.headerSize + frame.payload.readableBytes)
        }
        let channel = try decodingChannel()
        var inbound: [RPCInbound] = []
        for (offset, byte) in bytes.enumerated() {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            let produced = try decoded(channel)
            #expect(produced.isEmpty != frameEnds.contains(offset + 1), "after \(offset + 1) bytes: \(produced)")
            inbound += produced
        }
        #expect(inbound == [.preface(version: 1)] + Self.sampleFrames.map { .frame($0) })
    }

    @Test("a frame of exactly the maximum size is accepted")
    func frameAtTheLimit() throws {
        let channel = try decodingChannel(maxFrameSize: 64)
        let payload = [UInt8](repeating: 0x41, count: 64)
        try channel.writeInbound(
            ByteBuffer(bytes: Wire.preface + Wire.frame(stream: 1, type: Wire.message, payload: payload))
        )
        #expect(
            try decoded(channel) == [
                .preface(version: 1),
                .frame(RPCFrame(streamID: 1, kind: .message, payload: ByteBuffer(bytes: payload))),
            ]
        )
    }

    @Test("an oversized length is rejected from the header alone, before any of the body arrives")
    func oversizedLengthRejectedFromTheHeader() throws {
        let channel = try decodingChannel(maxFrameSize: 64)
        try channel.writeInbound(ByteBuffer(bytes: Wire.preface))
        let error = #expect(throws: RPCProtocolError.self) {
            try channel.writeInbound(ByteBuffer(bytes: Wire.header(length: 65, stream: 1, type: Wire.message)))
        }
        #expect(error?.description.contains("65") == true)
        #expect(error?.description.contains("64") == true)
        _ = try? channel.finish()
    }

    @Test("a length of 2^32-1 is rejected without waiting for the body")
    func hugeLengthRejected() throws {
        let channel = try decodingChannel(maxFrameSize: 4 << 20)
        #expect(throws: RPCProtocolError.self) {
            try channel.writeInbound(
                ByteBuffer(bytes: Wire.preface + Wire.header(length: .max, stream: 1, type: Wire.message))
            )
        }
        _ = try? channel.finish()
    }

    @Test("an unknown frame type is rejected from the header alone", arguments: [UInt8(0), 10, 0x7f, 0xff])
    func unknownFrameType(type: UInt8) throws {
        let channel = try decodingChannel()
        let error = #expect(throws: RPCProtocolError.self) {
            try channel.writeInbound(ByteBuffer(bytes: Wire.preface + Wire.header(length: 4, stream: 1, type: type)))
        }
        #expect(error?.description.contains("unknown frame type \(type)") == true)
        _ = try? channel.finish()
    }

    @Test(
        "a frame on the wrong kind of stream is rejected",
        arguments: wrongStreams
    )
    func frameOnTheWrongStream(type: UInt8, stream: UInt32) throws {
        let channel = try decodingChannel()
        let error = #expect(throws: RPCProtocolError.self) {
            try channel.writeInbound(
                ByteBuffer(bytes: Wire.preface + Wire.header(length: 0, stream: stream, type: type))
            )
        }
        #expect(error?.description.contains("stream") == true)
        _ = try? channel.finish()
    }

    @Test(
        "bad magic is detected from the first bytes that differ",
        arguments: [Array("G".utf8), Array("BATONRPX".utf8), Array("batonrpc".utf8), [0x00, 0x00, 0x00, 0x08]]
    )
    func badMagic(bytes: [UInt8]) throws {
        let channel = try decodingChannel()
        let error = #expect(throws: RPCProtocolError.self) { try channel.writeInbound(ByteBuffer(bytes: bytes)) }
        #expect(error?.description.contains("preface") == true)
        _ = try? channel.finish()
    }

    @Test("a correct but incomplete preface waits for more bytes")
    func partialPrefaceWaits() throws {
        let channel = try decodingChannel()
        try channel.writeInbound(ByteBuffer(bytes: Array("BATON".utf8)))
        #expect(try decoded(channel).isEmpty)
        try channel.writeInbound(ByteBuffer(bytes: Array("RPC".utf8) + [0x00, 0x07]))
        #expect(try decoded(channel) == [.preface(version: 7)])
    }
}
