import CBatonLibFuzzer

/// The custom mutators (`LLVMFuzzerCustomMutator`) of the targets whose inputs carry protobuf
/// messages: half the time libFuzzer's own mutation, else a `WireMutation` of a message in the
/// input, so edge values reach fields at any depth of a still well-formed request.
public enum CustomMutator {
    /// For inputs laid out as `FuzzInput`: the first line is kept, the payload is the message.
    public static func mutateFuzzInput(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
        mutate(data, size, maxSize, seed) { input, random in
            let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
            guard newline < input.endIndex else { return nil }
            let line = input[...newline]
            return WireMutation.mutate(Array(input[(newline + 1)...]), using: &random).map { Array(line) + $0 }
        }
    }

    /// For whole connections: one frame's payload (CallHeaders, a request, SETTINGS,
    /// WINDOW_UPDATE...) is the message, and its length is fixed up.
    public static func mutateConversation(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
        mutate(data, size, maxSize, seed) { input, random in
            var frames: [(start: Int, end: Int)] = []
            var offset = input.starts(with: Array("BATONRPC".utf8)) ? 10 : 0
            while offset + 10 <= input.count {
                let length = input[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
                guard offset + 10 + length <= input.count else { break }
                frames.append((offset, offset + 10 + length))
                offset += 10 + length
            }
            guard let frame = frames.filter({ $0.end > $0.start + 10 }).randomElement(using: &random),
                let payload = WireMutation.mutate(Array(input[(frame.start + 10)..<frame.end]), using: &random),
                let length = UInt32(exactly: payload.count)
            else { return nil }
            let header = (0..<4).map { UInt8(truncatingIfNeeded: length >> (24 - 8 * $0)) } + input[(frame.start + 4)..<(frame.start + 10)]
            return Array(input[..<frame.start]) + header + payload + input[frame.end...]
        }
    }

    private static func mutate(
        _ data: UnsafeMutablePointer<UInt8>?,
        _ size: Int,
        _ maxSize: Int,
        _ seed: UInt32,
        _ mutation: ([UInt8], inout SplitMix64) -> [UInt8]?
    ) -> Int {
        guard let data else { return 0 }
        var random = SplitMix64(seed: UInt64(seed))
        if Bool.random(using: &random),
            let mutated = mutation(Array(UnsafeBufferPointer(start: data, count: size)), &random),
            mutated.count <= maxSize
        {
            mutated.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: mutated.count) }
            return mutated.count
        }
        return LLVMFuzzerMutate(data, size, maxSize)
    }
}

/// A generator seeded by libFuzzer, so a run's mutations repeat with its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce5_e9b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
