/// Writes JSON text token by token, compact or pretty-printed with a two-space indent.
///
/// Callers say what comes next (`beginObject`, `key`, a value, `endObject`, ...); the writer
/// places commas, colons, line breaks and indentation. Public for rpc-cli, which writes its
/// templates and JSON errors the same way the codec writes messages.
public struct JSONWriter {
    private(set) var utf8: [UInt8] = []
    private let prettyPrinted: Bool
    private var depth = 0
    /// True right after `beginObject`/`beginArray`: the next element needs no comma.
    private var atContainerStart = false
    /// True right after `key`: the value follows the colon.
    private var afterKey = false

    public init(prettyPrinted: Bool) {
        self.prettyPrinted = prettyPrinted
    }

    public var text: String { String(decoding: utf8, as: UTF8.self) }

    public mutating func beginObject() {
        beginValue()
        utf8.append(UInt8(ascii: "{"))
        enterContainer()
    }

    public mutating func endObject() { exitContainer(closing: UInt8(ascii: "}")) }

    public mutating func beginArray() {
        beginValue()
        utf8.append(UInt8(ascii: "["))
        enterContainer()
    }

    public mutating func endArray() { exitContainer(closing: UInt8(ascii: "]")) }

    /// The name of the next object member.
    public mutating func key(_ name: String) {
        beginElement()
        appendQuoted(name)
        utf8.append(UInt8(ascii: ":"))
        if prettyPrinted { utf8.append(UInt8(ascii: " ")) }
        afterKey = true
    }

    /// A string value, escaped.
    public mutating func string(_ value: String) {
        beginValue()
        appendQuoted(value)
    }

    /// A value whose text is already JSON: a number, `true`, `false` or `null`.
    public mutating func raw(_ text: String) {
        beginValue()
        utf8.append(contentsOf: text.utf8)
    }

    private mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else if depth > 0 {
            beginElement()
        }
    }

    private mutating func beginElement() {
        if !atContainerStart { utf8.append(UInt8(ascii: ",")) }
        atContainerStart = false
        newline()
    }

    private mutating func enterContainer() {
        depth += 1
        atContainerStart = true
    }

    private mutating func exitContainer(closing: UInt8) {
        depth -= 1
        if !atContainerStart { newline() }
        atContainerStart = false
        utf8.append(closing)
    }

    private mutating func newline() {
        guard prettyPrinted else { return }
        utf8.append(UInt8(ascii: "\n"))
        utf8.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
    }

    /// Escapes what RFC 8259 requires (quote, backslash, control characters) and keeps all other
    /// characters as they are, so non-ASCII text stays readable.
    private mutating func appendQuoted(_ string: String) {
        utf8.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): utf8.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): utf8.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): utf8.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): utf8.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): utf8.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                utf8.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: utf8.append(byte)
            }
        }
        utf8.append(UInt8(ascii: "\""))
    }
}
