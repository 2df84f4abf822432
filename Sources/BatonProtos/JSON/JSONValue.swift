/// One parsed JSON value, as RFC 8259 defines it.
///
/// Numbers keep their text: proto3 JSON carries 64-bit integers that a `Double` would round, and
/// each field's type decides how the text is read.
enum JSONValue {
    case null
    case bool(Bool)
    /// The number's text, already checked against RFC 8259's number grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order; duplicates are kept so that the mapping can reject them.
    case object([(key: String, value: JSONValue)])

    /// The kind of value for error messages, e.g. "a string".
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
