/// How the targets that drive a choice (a method, a message type) read an input: the first line
/// names the choice, the rest is the payload. A first line that names nothing still picks one,
/// by its hash, so every mutation lands somewhere; seeds name their choice in plain text.
public struct FuzzInput {
    /// The index of the choice in the list it was picked from.
    public var choice: Int
    /// The bytes after the first line.
    public var payload: [UInt8]

    public init(_ input: [UInt8], choosingAmong names: [String]) {
        precondition(!names.isEmpty, "nothing to choose from")
        let newline = input.firstIndex(of: UInt8(ascii: "\n"))
        let line = input[..<(newline ?? input.endIndex)]
        payload = newline.map { Array(input[($0 + 1)...]) } ?? []
        if let exact = names.firstIndex(where: { $0.utf8.elementsEqual(line) }) {
            choice = exact
        } else {
            choice = Int(Self.fnv1a(line) % UInt64(names.count))
        }
    }

    /// A hash that is the same in every process, unlike `Hasher`: an input picks the same
    /// choice when it is replayed.
    private static func fnv1a(_ bytes: some Collection<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
