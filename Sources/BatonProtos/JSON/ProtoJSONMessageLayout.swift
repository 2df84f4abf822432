internal import CBatonProtobufC

/// What the JSON mapping needs to know about one message type, read once from protobuf-c's
/// descriptors: its fields with both their names, and which fields share a oneof.
struct ProtoJSONMessageLayout: Sendable {
    /// One field of the message.
    struct Field: Sendable {
        /// Index in protobuf-c's number-sorted field descriptors, as the reader and writer use.
        let index: Int
        let number: Int
        let name: String
        let jsonName: String
        let kind: ProtoFieldDescriptor.Kind
        let isRepeated: Bool
        /// Identifies the field's oneof (the offset of the case field its members share); nil
        /// outside a oneof. protobuf-c keeps no oneof names.
        let oneof: UInt32?
        let messageType: ProtoMessageDescriptor?
        let enumType: ProtoEnumDescriptor?
    }

    let descriptor: ProtoMessageDescriptor
    let fullName: String
    /// In field-number order, the order proto3 JSON writers use.
    let fields: [Field]
    /// True for `google.protobuf.Timestamp`, written as an RFC 3339 string instead of an object.
    let isTimestamp: Bool
    /// Positions in `fields` by proto name and by JSON name; readers accept both.
    private let positions: [String: Int]

    private init(_ descriptor: ProtoMessageDescriptor) {
        self.descriptor = descriptor
        fullName = descriptor.fullName
        isTimestamp = fullName == "google.protobuf.Timestamp"
        fields = descriptor.fields.map { field in
            let c = descriptor.field(at: field.index)
            return Field(
                index: field.index,
                number: field.number,
                name: field.name,
                jsonName: field.jsonName,
                kind: field.kind,
                isRepeated: field.isRepeated,
                oneof: field.isOneofMember ? c.quantifier_offset : nil,
                messageType: field.messageType,
                enumType: field.enumType
            )
        }
        var positions: [String: Int] = [:]
        for (position, field) in fields.enumerated() {
            positions[field.name] = position
            positions[field.jsonName] = position
        }
        self.positions = positions
    }

    /// The field a JSON member name denotes, by JSON name or proto name.
    func field(named name: String) -> Field? { positions[name].map { fields[$0] } }

    /// The field with this number.
    func field(number: Int) -> Field? { fields.first { $0.number == number } }

    /// The bytes protobuf-c's struct for this message occupies.
    var structSize: Int { descriptor.pointer.pointee.sizeof_message }

    /// The layout of every message in the schema, built on first use. The schema is fixed at
    /// build time, so the table never changes and needs no lock.
    private static let all: [ProtoMessageDescriptor: ProtoJSONMessageLayout] = Dictionary(
        uniqueKeysWithValues: DescriptorRegistry.shared.messages.values.map { ($0, ProtoJSONMessageLayout($0)) }
    )

    static func of(_ descriptor: ProtoMessageDescriptor) -> ProtoJSONMessageLayout {
        all[descriptor] ?? ProtoJSONMessageLayout(descriptor)
    }
}
