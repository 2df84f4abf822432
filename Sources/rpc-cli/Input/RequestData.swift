import Foundation

/// What `-d` says the request is: JSON itself, `@FILE`, or `@-` for stdin, as curl and grpcurl
/// take it.
enum RequestData {
    case none
    case text(String)
    case file(String)
    case standardInput

    init(_ argument: String?) {
        guard let argument else {
            self = .none
            return
        }
        switch argument {
        case "@-": self = .standardInput
        case let path where path.hasPrefix("@"): self = .file(String(path.dropFirst()))
        default: self = .text(argument)
        }
    }

    /// A request file's text.
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure.badInput("cannot read the request file \(path)")
        }
        return try text(data, from: path)
    }

    /// `data` as text, or a failure naming `source`.
    static func text(_ data: Data, from source: String) throws -> String {
        guard let text = String(data: data, encoding: .utf8) else { throw CLIFailure.badInput("\(source) is not UTF-8 text") }
        return text
    }
}

extension JSONValueSplitter.Value {
    /// The request a method gets when given none.
    static let empty = JSONValueSplitter.Value(text: "{}", line: 1, column: 1)
}
