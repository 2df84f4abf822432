import BatonProtos
import Synchronization
import Testing

/// Baton's codec agrees byte for byte with protoc, the reference implementation, on every
/// message of the schema: what protoc writes, Baton reads and writes back unchanged, through
/// its Swift values and through JSON.
@Suite struct ProtocAgreementTests {
    static let messageNames = BatonSchema.messageTypes.map { $0.protoMessageName }

    @Test(arguments: messageNames)
    func swiftValuesReencodeProtocBytesExactly(messageName: String) throws {
        let type = try #require(BatonSchema.messageType(named: messageName))
        let descriptor = try #require(ProtoMessageDescriptor.lookup(messageName))
        for sample in try EdgeSamples.all(of: descriptor) {
            let ours = try reencoded(type, sample.bytes)
            if ours != sample.bytes {
                // protoc's reading of our bytes says which field differs (and fails if it cannot).
                let protocReading = try Protoc.decode(ours, as: messageName)
                Issue.record(
                    """
                    \(messageName): protoc wrote \(sample.bytes.count) bytes, Baton wrote back \(ours.count).
                    sample:
                    \(sample.text)
                    protoc reads Baton's bytes as:
                    \(protocReading)
                    """
                )
            }
        }
    }

    @Test(arguments: messageNames)
    func zeroBytesAreTheDefaultMessage(messageName: String) throws {
        let type = try #require(BatonSchema.messageType(named: messageName))
        try expectZeroBytesAreDefault(type)
    }

    @Test(
        arguments: messageNames,
        [
            ProtoJSONEncodingOptions(),
            ProtoJSONEncodingOptions(emitDefaultValues: true),
            ProtoJSONEncodingOptions(emitDefaultValues: true, prettyPrinted: true, useProtoNames: true),
        ]
    )
    func jsonCarriesProtocBytesThereAndBack(messageName: String, options: ProtoJSONEncodingOptions) throws {
        let type = try #require(BatonSchema.messageType(named: messageName))
        let descriptor = try #require(ProtoMessageDescriptor.lookup(messageName))
        for sample in try EdgeSamples.all(of: descriptor) {
            let json = try ProtoJSON.jsonFromBinary(sample.bytes, messageName: messageName, options: options)
            let back = try ProtoJSON.binaryFromJSON(json, messageName: messageName)
            #expect(back == sample.bytes, "\(messageName) via JSON \(json)\nsample:\n\(sample.text)")
            try expectTypedJSONAgrees(type, protocBytes: sample.bytes, json: json, options: options)
        }
    }

    // MARK: Typed fields against protoc's field names

    // Round trips cannot see a generated reader and writer that agree with each other but not
    // with the schema (a value read into the wrong property is written back to the same wrong
    // field). These compare values set by Swift property with the same values set by proto name.

    @Test func scalarPropertiesAreTheirProtoFields() throws {
        var message = Baton_Test_V1_Scalars()
        message.doubleValue = 1.5
        message.floatValue = -2.25
        message.int32Value = -3
        message.int64Value = -4_000_000_000_004
        message.uint32Value = 5
        message.uint64Value = 6_000_000_000_006
        message.sint32Value = -7
        message.sint64Value = -8_000_000_000_008
        message.fixed32Value = 9
        message.fixed64Value = 10_000_000_000_010
        message.sfixed32Value = -11
        message.sfixed64Value = -12_000_000_000_012
        message.boolValue = true
        message.stringValue = "fourteen ✓"
        message.bytesValue = [15, 0, 255]
        message.enumValue = .ten
        let text = """
            double_value: 1.5
            float_value: -2.25
            int32_value: -3
            int64_value: -4000000000004
            uint32_value: 5
            uint64_value: 6000000000006
            sint32_value: -7
            sint64_value: -8000000000008
            fixed32_value: 9
            fixed64_value: 10000000000010
            sfixed32_value: -11
            sfixed64_value: -12000000000012
            bool_value: true
            string_value: "fourteen ✓"
            bytes_value: "\\017\\000\\377"
            enum_value: TEST_ENUM_TEN
            """
        try expectSameBytes(message, text)
    }

    @Test func repeatedPropertiesAreTheirProtoFields() throws {
        var message = Baton_Test_V1_Repeateds()
        message.doubleValues = [1, -1]
        message.floatValues = [2, -2]
        message.int32Values = [3, -3]
        message.int64Values = [4, -4]
        message.uint32Values = [5, 55]
        message.uint64Values = [6, 66]
        message.sint32Values = [7, -7]
        message.sint64Values = [8, -8]
        message.fixed32Values = [9, 99]
        message.fixed64Values = [10, 1010]
        message.sfixed32Values = [11, -11]
        message.sfixed64Values = [12, -12]
        message.boolValues = [true, false]
        message.stringValues = ["fourteen", "", "quatorze"]
        message.bytesValues = [[15], []]
        message.enumValues = [.two, .unrecognized(16)]
        var element = Baton_Test_V1_Scalars()
        element.int32Value = 17
        message.messageValues = [element, Baton_Test_V1_Scalars()]
        let text = """
            double_values: [1, -1]
            float_values: [2, -2]
            int32_values: [3, -3]
            int64_values: [4, -4]
            uint32_values: [5, 55]
            uint64_values: [6, 66]
            sint32_values: [7, -7]
            sint64_values: [8, -8]
            fixed32_values: [9, 99]
            fixed64_values: [10, 1010]
            sfixed32_values: [11, -11]
            sfixed64_values: [12, -12]
            bool_values: [true, false]
            string_values: ["fourteen", "", "quatorze"]
            bytes_values: ["\\017", ""]
            enum_values: [TEST_ENUM_TWO, 16]
            message_values { int32_value: 17 }
            message_values { }
            """
        try expectSameBytes(message, text)
    }

    @Test(arguments: [
        (Baton_Test_V1_Choice.OneOf_Pick.textPick("two"), #"text_pick: "two""#),
        (.textPick(""), #"text_pick: """#),
        (.numberPick(-3), "number_pick: -3"),
        (.numberPick(0), "number_pick: 0"),
        (.messagePick(Baton_Test_V1_Scalars()), "message_pick { }"),
        (.enumPick(.max), "enum_pick: TEST_ENUM_MAX"),
        (.enumPick(.unspecified), "enum_pick: TEST_ENUM_UNSPECIFIED"),
        (.bytesPick([6]), #"bytes_pick: "\006""#),
        (.bytesPick([]), #"bytes_pick: """#),
    ])
    func oneofMembersAreTheirProtoFields(pick: Baton_Test_V1_Choice.OneOf_Pick, text: String) throws {
        var message = Baton_Test_V1_Choice()
        message.label = "one"
        message.trailer = 7
        message.pick = pick
        try expectSameBytes(message, #"label: "one" trailer: 7 "# + text)
    }

    @Test func messagePropertiesAreTheirProtoFields() throws {
        var leaf = Baton_Test_V1_Nested()
        leaf.label = "leaf"
        var nested = Baton_Test_V1_Nested()
        nested.label = "root"
        nested.child = leaf
        nested.children = [leaf, Baton_Test_V1_Nested()]
        try expectSameBytes(
            nested,
            #"label: "root" child { label: "leaf" } children { label: "leaf" } children { }"#
        )

        var timestamps = Baton_Test_V1_Timestamps()
        timestamps.time = Google_Protobuf_Timestamp()
        var later = Google_Protobuf_Timestamp()
        later.seconds = 1_700_000_000
        later.nanos = 5
        timestamps.times = [later, Google_Protobuf_Timestamp()]
        try expectSameBytes(timestamps, "time { } times { seconds: 1700000000 nanos: 5 } times { }")
    }

    @Test func transferRequestPropertiesAreTheirProtoFields() throws {
        var request = Baton_V1_TransferRequest()
        request.chatID = "chat-1"
        request.actingRepID = "rep-ana"
        request.targetRepID = "rep-ben"
        request.note = "Visitor asks about SSO pricing"
        request.visitorMessage = "Ben will continue with you"
        request.mode = .request
        request.onUnavailable = .offerSlotsAndPostBooker
        request.idempotencyKey = "key-8"
        var expected = Baton_V1_ExpectedVersion()
        expected.value = 9
        request.expectedVersion = expected
        request.requestTTLSeconds = 10
        request.meetingLengthMinutes = 11
        request.maxSlots = 12
        request.bookerMessage = "pick a time"
        try expectSameBytes(
            request,
            """
            chat_id: "chat-1" acting_rep_id: "rep-ana" target_rep_id: "rep-ben"
            note: "Visitor asks about SSO pricing" visitor_message: "Ben will continue with you"
            mode: TRANSFER_MODE_REQUEST on_unavailable: UNAVAILABLE_ACTION_OFFER_SLOTS_AND_POST_BOOKER
            idempotency_key: "key-8" expected_version { value: 9 }
            request_ttl_seconds: 10 meeting_length_minutes: 11 max_slots: 12
            booker_message: "pick a time"
            """
        )
    }

    // MARK: Helpers

    private func reencoded<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) throws -> [UInt8] {
        let decoded = try M(serializedBytes: bytes)
        let bytes = try decoded.serializedBytes()
        #expect(try M(serializedBytes: bytes) == decoded, "\(M.protoMessageName) changed in a round trip")
        return bytes
    }

    private func expectZeroBytesAreDefault<M: ProtoMessage>(_ type: M.Type) throws {
        #expect(try M(serializedBytes: [UInt8]()) == M())
        #expect(try M().serializedBytes() == [])
    }

    private func expectTypedJSONAgrees<M: ProtoMessage>(
        _ type: M.Type,
        protocBytes: [UInt8],
        json: String,
        options: ProtoJSONEncodingOptions
    ) throws {
        let value = try M(serializedBytes: protocBytes)
        #expect(try value.jsonString(options: options) == json, "\(M.protoMessageName): typed and untyped JSON differ")
        #expect(try M(jsonString: json) == value, "\(M.protoMessageName): JSON read back differs")
    }

    private func expectSameBytes<M: ProtoMessage>(
        _ message: M,
        _ text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let protocBytes = try Protoc.encode(text, as: M.protoMessageName)
        let ours = try message.serializedBytes()
        #expect(ours == protocBytes, sourceLocation: sourceLocation)
        #expect(try M(serializedBytes: protocBytes) == message, sourceLocation: sourceLocation)
    }
}

/// The edge samples of a message encoded by protoc, each computed once: the wire and the JSON
/// tests share them, so protoc runs once per sample.
private enum EdgeSamples {
    struct Sample: Sendable {
        let text: String
        let bytes: [UInt8]
    }

    private static let cache = Mutex<[String: [Sample]]>([:])

    /// One sample per oneof member at the top level (at least one).
    static func all(of descriptor: ProtoMessageDescriptor) throws -> [Sample] {
        let messageName = descriptor.fullName
        if let cached = cache.withLock({ $0[messageName] }) { return cached }
        let samples = try (0..<TextFormatSample.seedCount(descriptor)).map { seed in
            let text = TextFormatSample.edge(descriptor, seed: seed)
            return Sample(text: text, bytes: try Protoc.encode(text, as: messageName))
        }
        cache.withLock { $0[messageName] = samples }
        return samples
    }
}
