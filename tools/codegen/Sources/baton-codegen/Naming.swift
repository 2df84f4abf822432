/// How proto names become Swift names (close to swift-protobuf's conventions, with the Swift API
/// Design Guidelines' uniform acronyms: `rep_id` becomes `repID`).
enum Naming {
    /// `baton.v1` + `Chat` -> `Baton_V1_Chat`.
    static func typePrefix(package: String) -> String {
        package.split(separator: ".").map { upperFirst(String($0)) + "_" }.joined()
    }

    /// `owner_rep_id` -> `ownerRepID`.
    static func lowerCamel(_ snake: String) -> String {
        let words = snake.split(separator: "_").map { String($0) }
        var result = ""
        for (i, word) in words.enumerated() {
            if i == 0 {
                result += word.lowercased() == word ? word : lowerFirst(word)
            } else if let acronym = acronyms[word.lowercased()] {
                result += acronym
            } else {
                result += upperFirst(word.lowercased())
            }
        }
        return escaped(result)
    }

    /// `transfer_target` -> `TransferTarget`.
    static func upperCamel(_ snake: String) -> String {
        snake.split(separator: "_").map { word in
            acronyms[word.lowercased()] ?? upperFirst(word.lowercased())
        }.joined()
    }

    /// `CHAT_STATE_ACTIVE` in enum `ChatState` -> `active`.
    static func enumCase(_ valueName: String, enumName: String) -> String {
        let prefix = upperSnake(enumName) + "_"
        var stripped = valueName.hasPrefix(prefix) ? String(valueName.dropFirst(prefix.count)) : valueName
        if stripped.first?.isNumber ?? true { stripped = valueName }
        return lowerCamel(stripped.lowercased())
    }

    /// `ChatState` -> `CHAT_STATE`.
    static func upperSnake(_ camel: String) -> String {
        var result = ""
        let chars = Array(camel)
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0, chars[i - 1].isLowercase || chars[i - 1].isNumber {
                result += "_"
            }
            result += c.uppercased()
        }
        return result
    }

    /// The proto3 JSON name: underscores removed, the next letter upper-cased.
    static func jsonName(_ fieldName: String) -> String {
        var result = ""
        var upperNext = false
        for c in fieldName {
            if c == "_" {
                upperNext = true
            } else {
                result += upperNext ? c.uppercased() : String(c)
                upperNext = false
            }
        }
        return result
    }

    static func escaped(_ identifier: String) -> String {
        swiftKeywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    private static let acronyms: [String: String] = [
        "id": "ID", "ids": "IDs", "url": "URL", "urls": "URLs", "uid": "UID", "uids": "UIDs", "gid": "GID",
        "gids": "GIDs", "utf8": "UTF8", "json": "JSON", "http": "HTTP", "rpc": "RPC", "ttl": "TTL", "uri": "URI",
    ]

    private static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else",
        "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "Any",
        "catch", "false", "is", "nil", "super", "self", "Self", "throw", "throws", "true", "try", "Type",
    ]

    private static func upperFirst(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
    private static func lowerFirst(_ s: String) -> String { s.prefix(1).lowercased() + s.dropFirst() }
}
