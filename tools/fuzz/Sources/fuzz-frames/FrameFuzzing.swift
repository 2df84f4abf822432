import BatonFuzzing
import BatonRPC
import NIOCore
import NIOEmbedded

// The frame decoder and its preface check over arbitrary bytes. The first byte sets a chunk
// size; the rest is the byte stream, decoded once in one piece and once in chunks. Both must
// agree, and what was decoded, encoded again, must be the bytes it came from: a decoder that
// depended on how reads split the stream, or that skipped or invented bytes, would fail here.

/// Small, so that length checks against the limit are reached by short inputs.
let maxFrameSize = 1 << 12

/// What a byte stream decoded to: the prefaces and frames, then whether it ended in an error.
struct Outcome: Equatable {
    var inbound: [RPCInbound] = []
    var failed = false
}

func decode(_ stream: [UInt8], chunkSize: Int) -> Outcome {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(RPCFrameDecoder(maxFrameSize: maxFrameSize)))
    var outcome = Outcome()
    func drain() {
        while let inbound = try? channel.readInbound(as: RPCInbound.self) { outcome.inbound.append(inbound) }
    }
    var offset = 0
    while offset < stream.count, !outcome.failed {
        let end = min(stream.count, offset + chunkSize)
        do {
            try channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
        } catch {
            outcome.failed = true
        }
        drain()
        offset = end
    }
    if !outcome.failed {
        // The end of the stream: the decoder's last chance at what it holds.
        channel.pipeline.fireChannelInactive()
        do { try channel.throwIfErrorCaught() } catch { outcome.failed = true }
        drain()
    }
    _ = try? channel.finish(acceptAlreadyClosed: true)
    return outcome
}

/// The bytes `inbound` was decoded from.
func encode(_ inbound: [RPCInbound]) -> [UInt8] {
    var buffer = ByteBuffer()
    for item in inbound {
        switch item {
        case .preface(let version):
            buffer.writeBytes(RPCPreface.magic)
            buffer.writeInteger(version)
        case .frame(let frame):
            RPCFrameEncoder().encode(data: .frame(frame), out: &buffer)
        }
    }
    return Array(buffer.readableBytesView)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let start, count > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: start, count: count)
    let chunkSize = Int(input[0] % 16) + 1
    let stream = Array(input.dropFirst())
    let whole = decode(stream, chunkSize: max(1, stream.count))
    let chunked = decode(stream, chunkSize: chunkSize)
    expect(whole == chunked, "decoding in \(chunkSize)-byte chunks gave \(chunked), in one piece \(whole)")
    let consumed = encode(whole.inbound)
    expect(
        consumed.count <= stream.count && consumed[...] == stream[..<consumed.count],
        "the decoded frames encode to bytes that are not the input's prefix"
    )
    for case .frame(let frame) in whole.inbound {
        expect(frame.payload.readableBytes <= maxFrameSize, "a frame over the limit was decoded")
    }
    return 0
}
