/// Cuts a stream of JSON objects into one text per object, as bytes arrive: objects may be
/// separated by any whitespace or none, and span lines, as grpcurl reads them. It only finds
/// where each object ends (braces outside strings); ProtoJSON parses and checks each one.
struct JSONValueSplitter {
    /// One object of the stream, and where it started, for error messages.
    struct Value: Sendable {
        let text: String
        let line: Int
        let column: Int

        /// `line 3, column 1`.
        var position: String { "line \(line), column \(column)" }
    }

    private var pending: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var line = 1
    private var column = 0
    private var start: (line: Int, column: Int) = (1, 0)

    /// The objects completed by `bytes`. Throws at the first byte outside an object that is not
    /// whitespace.
    mutating func append(_ bytes: some Sequence<UInt8>) throws(CLIFailure) -> [Value] {
        var values: [Value] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
            } else if byte & 0xC0 != 0x80 {
                column += 1  // a character's first byte: columns count characters
            }
            if depth == 0 {
                if Self.isWhitespace(byte) { continue }
                guard byte == UInt8(ascii: "{") else {
                    throw .badInput("requests: expected a JSON object at line \(line), column \(column)")
                }
                start = (line, column)
            }
            pending.append(byte)
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    values.append(Value(text: String(decoding: pending, as: UTF8.self), line: start.line, column: start.column))
                    pending.removeAll(keepingCapacity: true)
                }
            default: break
            }
        }
        return values
    }

    /// Throws when the stream ended inside an object.
    func finish() throws(CLIFailure) {
        guard pending.isEmpty else {
            throw .badInput("requests: the JSON object at line \(start.line), column \(start.column) is not closed")
        }
    }

    /// Every object of `text`, which must end between objects.
    static func values(of text: String) throws(CLIFailure) -> [Value] {
        var splitter = JSONValueSplitter()
        let values = try splitter.append(text.utf8)
        try splitter.finish()
        return values
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
