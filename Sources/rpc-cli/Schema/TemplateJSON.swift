/// A JSON value built by `RequestTemplate`, printed the way `rpc-cli call --pretty` prints
/// responses: two-space indents, members in declaration order.
indirect enum TemplateJSON {
    /// A number or `false`, written as is.
    case literal(String)
    case string(String)
    case array([TemplateJSON])
    case object([(key: String, value: TemplateJSON)])

    /// The value as pretty-printed JSON, its nested lines indented one level below `indent`.
    func rendered(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .literal(let text):
            return text
        case .string(let text):
            return Self.quoted(text)
        case .array(let elements):
            guard !elements.isEmpty else { return "[]" }
            let lines = elements.map { inner + $0.rendered(indent: inner) }
            return "[\n" + lines.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            let lines = members.map { inner + Self.quoted($0.key) + ": " + $0.value.rendered(indent: inner) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
