import BatonProtos

/// Call metadata, both ways: ordered key/value pairs, keys lower-case ASCII; a key may repeat.
/// Keys ending in `-bin` carry bytes, all others UTF-8 text (gRPC's convention).
public struct RPCMetadata: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    /// A metadata value: text, or bytes for `-bin` keys.
    public enum Content: Sendable, Hashable {
        case text(String)
        case binary([UInt8])
    }

    public private(set) var entries: [(key: String, value: Content)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { add(key, value) }
    }

    /// Appends a text value.
    public mutating func add(_ key: String, _ value: String) { entries.append((key.lowercased(), .text(value))) }

    /// Appends a binary value (the key should end in `-bin`).
    public mutating func add(_ key: String, bytes: [UInt8]) { entries.append((key.lowercased(), .binary(bytes))) }

    /// Why these entries are not valid call metadata, or nil: keys are 1-256 bytes of lower-case
    /// letters, digits, `-`, `_` and `.`; `-bin` keys carry bytes and the others text.
    static func validationFailure(_ wire: [Baton_Rpc_V1_MetadataEntry]) -> String? {
        for entry in wire {
            let key = entry.key
            guard !key.isEmpty, key.utf8.count <= 256,
                key.utf8.allSatisfy({ ("a"..."z").contains(Character(Unicode.Scalar($0))) || ("0"..."9").contains(Character(Unicode.Scalar($0))) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e })
            else {
                return "metadata key \"\(RPCError.wireSafe(key, maxBytes: 64))\" is not 1-256 bytes of a-z, 0-9, '-', '_', '.'"
            }
            // Refused now so that giving these keys a meaning later breaks no client.
            if key.hasPrefix("baton-") {
                return "metadata key \(key) is reserved for the protocol (keys starting with baton-)"
            }
            switch entry.value {
            case .binary? where !key.hasSuffix("-bin"):
                return "metadata key \(key) carries bytes; binary keys must end in -bin"
            case .text? where key.hasSuffix("-bin"):
                return "metadata key \(key) ends in -bin but carries text"
            default:
                break
            }
        }
        return nil
    }

    /// Appends every entry of `other`.
    public mutating func append(contentsOf other: RPCMetadata) { entries += other.entries }

    /// The first text value of `key`.
    public subscript(key: String) -> String? {
        let key = key.lowercased()
        for entry in entries where entry.key == key {
            if case .text(let text) = entry.value { return text }
        }
        return nil
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Content)]> { entries.makeIterator() }

    public static func == (lhs: RPCMetadata, rhs: RPCMetadata) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }

    /// Metadata from its wire form.
    public init(_ wire: [Baton_Rpc_V1_MetadataEntry]) {
        for entry in wire {
            switch entry.value {
            case .binary(let bytes)?: add(entry.key, bytes: bytes)
            case .text(let text)?: add(entry.key, text)
            case nil: add(entry.key, "")
            }
        }
    }

    /// The wire form, as in `CallHeaders.metadata`.
    public var wire: [Baton_Rpc_V1_MetadataEntry] {
        entries.map { entry in
            var wire = Baton_Rpc_V1_MetadataEntry()
            wire.key = entry.key
            switch entry.value {
            case .text(let text): wire.value = .text(RPCError.wireSafe(text))
            case .binary(let bytes): wire.value = .binary(bytes)
            }
            return wire
        }
    }
}
