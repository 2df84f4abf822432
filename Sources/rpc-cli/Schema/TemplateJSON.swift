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
            return quoted(text)
        case .array(let elements):
            guard !elements.isEmpty else { return "[]" }
            let lines = elements.map { inner + $0.rendered(indent: inner) }
            return "[\n" + lines.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            let lines = members.map { inner + quoted($0.key) + ": " + $0.value.rendered(indent: inner) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }
}
