import BatonProtos
import Testing

/// The proto3 JSON mapping: what it writes, what it accepts, and that every bad input is one
/// `ProtoCodecError` naming the field.
@Suite struct JSONTests {
    // MARK: Writing

    @Test func scalarsAreWrittenInProto3Form() throws {
        var message = Scalars()
        message.doubleValue = 0.1
        message.floatValue = 1
        message.int32Value = -1
        message.int64Value = .min
        message.uint32Value = .max
        message.uint64Value = .max
        message.sint64Value = 5
        message.fixed64Value = 1
        message.boolValue = true
        message.stringValue = "é\"\\\n\u{1}"
        message.bytesValue = [0xFB, 0xFF]
        message.enumValue = .ten
        let expected = #"""
            {"doubleValue":0.1,"floatValue":1,"int32Value":-1,"int64Value":"-9223372036854775808",\#
            "uint32Value":4294967295,"uint64Value":"18446744073709551615","sint64Value":"5",\#
            "fixed64Value":"1","boolValue":true,"stringValue":"é\"\\\n\u0001","bytesValue":"+/8=",\#
            "enumValue":"TEST_ENUM_TEN"}
            """#
        #expect(try message.jsonString() == expected)
    }

    @Test func defaultsAreLeftOutUnlessAskedFor() throws {
        #expect(try Scalars().jsonString() == "{}")
        #expect(try Repeateds().jsonString() == "{}")
        #expect(try Nested().jsonString() == "{}")

        let all = try Scalars().jsonString(options: .init(emitDefaultValues: true))
        #expect(
            all == """
                {"doubleValue":0,"floatValue":0,"int32Value":0,"int64Value":"0","uint32Value":0,"uint64Value":"0",\
                "sint32Value":0,"sint64Value":"0","fixed32Value":0,"fixed64Value":"0","sfixed32Value":0,\
                "sfixed64Value":"0","boolValue":false,"stringValue":"","bytesValue":"",\
                "enumValue":"TEST_ENUM_UNSPECIFIED"}
                """
        )
        // Message fields have presence: an absent child stays absent even with defaults on.
        #expect(try Nested().jsonString(options: .init(emitDefaultValues: true)) == #"{"label":"","children":[]}"#)
        let choice = try Choice().jsonString(options: .init(emitDefaultValues: true))
        #expect(choice == #"{"label":"","trailer":0}"#)
    }

    @Test func negativeZeroIsNotTheDefault() throws {
        var message = Scalars()
        message.doubleValue = -0.0
        #expect(try message.jsonString() == #"{"doubleValue":-0}"#)
        let back = try Scalars(jsonString: "{\"doubleValue\":-0}")
        #expect(back.doubleValue.sign == .minus)
    }

    @Test(arguments: [
        (Choice.OneOf_Pick.textPick(""), #"{"textPick":""}"#),
        (.numberPick(0), #"{"numberPick":"0"}"#),
        (.messagePick(Scalars()), #"{"messagePick":{}}"#),
        (.enumPick(.unspecified), #"{"enumPick":"TEST_ENUM_UNSPECIFIED"}"#),
        (.bytesPick([]), #"{"bytesPick":""}"#),
    ])
    fileprivate func setOneofMemberIsWrittenAtItsDefault(pick: Choice.OneOf_Pick, json: String) throws {
        var message = Choice()
        message.pick = pick
        #expect(try message.jsonString() == json)
        #expect(try Choice(jsonString: json) == message)
        #expect(
            try Choice(serializedBytes: ProtoJSON.binaryFromJSON(json, messageName: "baton.test.v1.Choice")) == message
        )
    }

    @Test func fieldsFollowNumberOrderAndOptionsChangeNames() throws {
        var message = Choice()
        message.trailer = 7
        message.pick = .numberPick(-3)
        message.label = "x"
        #expect(try message.jsonString() == #"{"label":"x","numberPick":"-3","trailer":7}"#)
        #expect(
            try message.jsonString(options: .init(useProtoNames: true))
                == #"{"label":"x","number_pick":"-3","trailer":7}"#
        )
    }

    @Test func prettyPrintingIndentsByTwoSpaces() throws {
        var message = Repeateds()
        message.int32Values = [1, 2]
        message.messageValues = [Scalars(), Scalars()]
        message.messageValues[1].boolValue = true
        let expected = """
            {
              "int32Values": [
                1,
                2
              ],
              "messageValues": [
                {},
                {
                  "boolValue": true
                }
              ]
            }
            """
        let pretty = try message.jsonString(options: .init(prettyPrinted: true))
        #expect(pretty == expected)
        #expect(try Repeateds(jsonString: pretty) == message)
    }

    // MARK: Round trips

    private static let edgeScalars: [Scalars] = {
        var maxima = Scalars()
        maxima.doubleValue = .greatestFiniteMagnitude
        maxima.floatValue = .greatestFiniteMagnitude
        maxima.int32Value = .max
        maxima.int64Value = .max
        maxima.uint32Value = .max
        maxima.uint64Value = .max
        maxima.sint32Value = .max
        maxima.sint64Value = .max
        maxima.fixed32Value = .max
        maxima.fixed64Value = .max
        maxima.sfixed32Value = .max
        maxima.sfixed64Value = .max
        maxima.boolValue = true
        maxima.stringValue = "👩‍👩‍👧‍👦 日本語 ÿ"
        maxima.bytesValue = Array(0...255)
        maxima.enumValue = .max

        var minima = Scalars()
        minima.doubleValue = -.leastNonzeroMagnitude
        minima.floatValue = .leastNonzeroMagnitude
        minima.int32Value = .min
        minima.int64Value = .min
        minima.sint32Value = .min
        minima.sint64Value = .min
        minima.sfixed32Value = .min
        minima.sfixed64Value = .min
        minima.stringValue = "e\u{301}\u{308} \u{2028}\u{FEFF}\u{7F}"  // combining marks, separators
        minima.bytesValue = [0]
        minima.enumValue = .unrecognized(-7)

        var specials = Scalars()
        specials.doubleValue = .infinity
        specials.floatValue = -.infinity
        specials.int64Value = 9_007_199_254_740_993  // 2^53 + 1: a Double would round it
        specials.stringValue = "\u{1}\t\r\n\"\\/"
        specials.bytesValue = [0xFF, 0xFE]

        var fractions = Scalars()
        fractions.doubleValue = 1e-7
        fractions.floatValue = 0.1
        fractions.uint64Value = 1 << 63

        return [Scalars(), maxima, minima, specials, fractions]
    }()

    @Test(arguments: edgeScalars)
    fileprivate func scalarsRoundTrip(message: Scalars) throws {
        let json = try message.jsonString()
        #expect(try Scalars(jsonString: json) == message)
        #expect(try Scalars(jsonString: message.jsonString(options: .init(emitDefaultValues: true))) == message)
        #expect(try Scalars(jsonString: message.jsonString(options: .init(useProtoNames: true))) == message)
        // The typeless path agrees with the typed one, both ways.
        let bytes = try ProtoJSON.binaryFromJSON(json, messageName: Scalars.protoMessageName)
        #expect(try Scalars(serializedBytes: bytes) == message)
        #expect(try ProtoJSON.jsonFromBinary(message.serializedBytes(), messageName: Scalars.protoMessageName) == json)
    }

    @Test func nanSurvivesARoundTrip() throws {
        var message = Scalars()
        message.doubleValue = .nan
        message.floatValue = .nan
        let json = try message.jsonString()
        #expect(json == #"{"doubleValue":"NaN","floatValue":"NaN"}"#)
        let back = try Scalars(jsonString: json)
        #expect(back.doubleValue.isNaN && back.floatValue.isNaN)
    }

    @Test func repeatedFieldsRoundTrip() throws {
        var message = Repeateds()
        message.doubleValues = [0, -1.5, .infinity, .leastNormalMagnitude]
        message.floatValues = [3.25, -.infinity]
        message.int32Values = [.min, 0, .max]
        message.int64Values = [.min, -1, .max]
        message.uint32Values = [.max]
        message.uint64Values = [.max, 0]
        message.sint32Values = [-1]
        message.sint64Values = [.min]
        message.fixed32Values = [7]
        message.fixed64Values = [.max]
        message.sfixed32Values = [.min]
        message.sfixed64Values = [.min]
        message.boolValues = [true, false, true]
        message.stringValues = ["", "🙂", "a b"]
        message.bytesValues = [[], [1], [1, 2], [1, 2, 3]]
        message.enumValues = [.one, .unrecognized(99), .unspecified]
        message.messageValues = Self.edgeScalars
        message.int32Values += Array(repeating: 42, count: 1000)
        let json = try message.jsonString()
        #expect(json.contains(#""enumValues":["TEST_ENUM_ONE",99,"TEST_ENUM_UNSPECIFIED"]"#))
        #expect(json.contains(#""bytesValues":["","AQ==","AQI=","AQID"]"#))
        #expect(try Repeateds(jsonString: json) == message)
        let bytes = try message.serializedBytes()
        #expect(try ProtoJSON.binaryFromJSON(json, messageName: Repeateds.protoMessageName) == bytes)
        #expect(try ProtoJSON.jsonFromBinary(bytes, messageName: Repeateds.protoMessageName) == json)
    }

    @Test func nestedMessagesRoundTrip() throws {
        var message = Nested()
        for level in 0..<40 {
            var parent = Nested()
            parent.label = "level \(level)"
            if level.isMultiple(of: 2) {
                parent.child = message
            } else {
                parent.children = [Nested(), message]
            }
            message = parent
        }
        let json = try message.jsonString()
        #expect(try Nested(jsonString: json) == message)
    }

    // MARK: Reading

    @Test(arguments: [
        (#"{"int32_value": 1e3}"#, Int32(1000)),
        (#"{"int32Value": 1.0}"#, 1),
        (#"{"int32Value": 250e-1}"#, 25),
        (#"{"int32Value": 0.00e5}"#, 0),
        (#"{"int32Value": -0}"#, 0),
        (#"{"int32Value": "-5"}"#, -5),
        (#"{"int32Value": "2147483647"}"#, .max),
        (#"{"int32Value": -2147483648}"#, .min),
    ])
    func integersAreReadExactly(json: String, value: Int32) throws {
        #expect(try Scalars(jsonString: json).int32Value == value)
    }

    @Test func sixtyFourBitIntegersAreReadFromStringsOrNumbers() throws {
        let message = try Scalars(
            jsonString: """
                {"int64Value": 9223372036854775807, "uint64_value": "18446744073709551615",
                 "sint64Value": "-9223372036854775808", "fixed64Value": 1e19, "sfixed64Value": -0}
                """
        )
        #expect(message.int64Value == .max)
        #expect(message.uint64Value == .max)
        #expect(message.sint64Value == .min)
        #expect(message.fixed64Value == 10_000_000_000_000_000_000)
        #expect(message.sfixed64Value == 0)
    }

    @Test func otherAcceptedForms() throws {
        let message = try Scalars(
            jsonString: """
                \u{FEFF} { "doubleValue": "-Infinity", "floatValue": "2.5", "enumValue": 2,
                  "stringValue": "\\u00e9\\ud83d\\ude00\\/", "bytesValue": "-_8", "boolValue": null,
                  "int32Value": null }
                """
        )
        #expect(message.doubleValue == -.infinity)
        #expect(message.floatValue == 2.5)
        #expect(message.enumValue == .two)
        #expect(message.stringValue == "é😀/")
        #expect(message.bytesValue == [0xFB, 0xFF])
        #expect(message.boolValue == false)

        let unknownNumber = try Scalars(jsonString: #"{"enumValue": 7}"#)
        #expect(unknownNumber.enumValue == .unrecognized(7))
        #expect(try unknownNumber.jsonString() == #"{"enumValue":7}"#)
        #expect(try Choice(jsonString: #"{"textPick": null, "numberPick": 4}"#).pick == .numberPick(4))
        #expect(try Nested(jsonString: #"{"child": null}"#).child == nil)
    }

    @Test(arguments: ["+/8=", "+/8", "-_8=", "-_8"])
    func bytesAcceptBothAlphabetsWithOrWithoutPadding(base64: String) throws {
        #expect(try Scalars(jsonString: #"{"bytesValue":"\#(base64)"}"#).bytesValue == [0xFB, 0xFF])
    }

    @Test func unknownFieldsCanBeIgnored() throws {
        let options = ProtoJSONDecodingOptions(ignoreUnknownFields: true)
        let message = try Scalars(
            jsonString: #"{"newField": {"a": [1, 2]}, "int32Value": 3, "enumValue": "TEST_ENUM_NEW"}"#,
            options: options
        )
        #expect(message.int32Value == 3)
        #expect(message.enumValue == .unspecified)
        let repeated = try Repeateds(jsonString: #"{"enumValues": ["TEST_ENUM_ONE", "LATER"]}"#, options: options)
        #expect(repeated.enumValues == [.one])
    }

    // MARK: Timestamps

    @Test(arguments: [
        (Int64(63_108_020), Int32(21_000_000), "1972-01-01T10:00:20.021Z"),
        (0, 0, "1970-01-01T00:00:00Z"),
        (-1, 999_999_999, "1969-12-31T23:59:59.999999999Z"),
        (951_782_400, 1000, "2000-02-29T00:00:00.000001Z"),
        (-62_135_596_800, 0, "0001-01-01T00:00:00Z"),
        (253_402_300_799, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
        (1_700_000_000, 120_000_000, "2023-11-14T22:13:20.120Z"),
    ])
    func timestampsAreRFC3339Strings(seconds: Int64, nanos: Int32, text: String) throws {
        var timestamp = Timestamp()
        timestamp.seconds = seconds
        timestamp.nanos = nanos
        var message = Timestamps()
        message.time = timestamp
        message.times = [timestamp, Timestamp()]
        let json = try message.jsonString()
        #expect(json == #"{"time":"\#(text)","times":["\#(text)","1970-01-01T00:00:00Z"]}"#)
        #expect(try Timestamps(jsonString: json) == message)
        #expect(try timestamp.jsonString() == "\"\(text)\"")
        #expect(try Timestamp(jsonString: "\"\(text)\"") == timestamp)
    }

    @Test func timestampsAcceptOffsetsAndShortFractions() throws {
        let reference = try Timestamp(jsonString: #""1972-01-01T10:00:20.021Z""#)
        #expect(try Timestamp(jsonString: #""1972-01-01T11:30:20.021+01:30""#) == reference)
        #expect(try Timestamp(jsonString: #""1972-01-01T05:00:20.0210-05:00""#) == reference)
        #expect(try Timestamp(jsonString: #""1972-01-01t10:00:20.021z""#) == reference)
        #expect(try Timestamp(jsonString: #""1972-01-01T10:00:20.5Z""#).nanos == 500_000_000)
    }

    @Test func timestampsOutOfRangeAreNotWritten() throws {
        var message = Timestamps()
        message.time = Timestamp()
        message.time?.seconds = 253_402_300_800
        let error = #expect(throws: ProtoCodecError.self) { try message.jsonString() }
        #expect(error?.code == .invalidFieldValue)
        #expect(error?.fieldName == "time")
        message.time?.seconds = 0
        message.time?.nanos = -1
        #expect(throws: ProtoCodecError.self) { try message.jsonString() }
    }

    // MARK: Errors

    @Test(arguments: BadJSON.table)
    fileprivate func badJSONIsRejected(_ bad: BadJSON) {
        let error = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.binaryFromJSON(bad.json, messageName: bad.messageName)
        }
        #expect(error?.code == bad.code)
        #expect(error?.fieldName == bad.fieldName)
        #expect(error?.messageName == bad.innermostMessage ?? bad.messageName)
    }

    @Test func wrongTypesSayWhatWasExpected() {
        let error = #expect(throws: ProtoCodecError.self) {
            try Repeateds(jsonString: #"{"messageValues": [{}, {"boolValue": "yes"}]}"#)
        }
        #expect(error?.messageName == "baton.test.v1.Scalars")
        #expect(error?.fieldName == "message_values[1].bool_value")
        #expect(error?.detail == "expected true or false, got a string")
    }

    @Test func invalidUTF8InputIsRejected() {
        let json = Array(#"{"label":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let error = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.binaryFromJSON(utf8: json, messageName: "baton.test.v1.Nested")
        }
        #expect(error?.code == .invalidUTF8)
    }

    @Test func validUTF8BytesAreAccepted() throws {
        let bytes = try ProtoJSON.binaryFromJSON(
            utf8: Array(#"{"label":"ü"}"#.utf8),
            messageName: "baton.test.v1.Nested"
        )
        #expect(try Nested(serializedBytes: bytes).label == "ü")
    }

    @Test func nulCannotReachProtobufC() {
        let error = #expect(throws: ProtoCodecError.self) {
            try Repeateds(jsonString: #"{"stringValues": ["ok", "a\u0000b"]}"#)
        }
        #expect(error?.code == .unrepresentableString)
        #expect(error?.fieldName == "string_values[1]")
    }

    @Test func unknownMessageNamesAreErrors() {
        let encodeError = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.binaryFromJSON("{}", messageName: "baton.v1.Nope")
        }
        let decodeError = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.jsonFromBinary([UInt8](), messageName: "baton.v1.Nope")
        }
        for error in [encodeError, decodeError] {
            #expect(error?.code == .unknownMessageType)
            #expect(error?.messageName == "baton.v1.Nope")
        }
    }

    @Test func jsonFromBinaryChecksStringsAreUTF8() {
        // Repeateds.message_values[0].string_value = "\xFF"; field 17 holds field 14.
        let bytes: [UInt8] = [0x8A, 0x01, 0x03, 0x72, 0x01, 0xFF]
        let error = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.jsonFromBinary(bytes, messageName: "baton.test.v1.Repeateds")
        }
        #expect(error?.code == .invalidUTF8)
        #expect(error?.messageName == "baton.test.v1.Scalars")
        #expect(error?.fieldName == "message_values[0].string_value")

        // Repeateds.string_values = ["a", "\xFF"]
        let list: [UInt8] = [0x72, 0x01, 0x61, 0x72, 0x01, 0xFF]
        let listError = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.jsonFromBinary(list, messageName: "baton.test.v1.Repeateds")
        }
        #expect(listError?.fieldName == "string_values[1]")
    }

    @Test func jsonFromBinaryKeepsDecodingLimits() throws {
        var message = Nested()
        for _ in 0..<10 {
            var parent = Nested()
            parent.child = message
            message = parent
        }
        let bytes = try message.serializedBytes()
        let error = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.jsonFromBinary(
                bytes,
                messageName: "baton.test.v1.Nested",
                decodingOptions: .init(maxDepth: 5)
            )
        }
        #expect(error?.code == .nestingTooDeep)
        let malformed = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.jsonFromBinary([0x0A, 0x05], messageName: "baton.test.v1.Nested")
        }
        #expect(malformed?.code == .malformedWire)
    }

    @Test func jsonDecodingKeepsLimits() {
        let deep = String(repeating: #"{"child":"#, count: 5) + "{}" + String(repeating: "}", count: 5)
        let options = ProtoJSONDecodingOptions(limits: .init(maxDepth: 5))
        let error = #expect(throws: ProtoCodecError.self) { try Nested(jsonString: deep, options: options) }
        #expect(error?.code == .nestingTooDeep)
        #expect(throws: Never.self) { try Nested(jsonString: deep, options: .init(limits: .init(maxDepth: 6))) }

        let many = "{\"stringValues\":[" + Array(repeating: "\"abcdefgh\"", count: 1000).joined(separator: ",") + "]}"
        let budget = ProtoJSONDecodingOptions(limits: .init(allocationBudget: 4096))
        let budgetError = #expect(throws: ProtoCodecError.self) { try Repeateds(jsonString: many, options: budget) }
        #expect(budgetError?.code == .allocationBudgetExceeded)
    }

    @Test func everyTruncationFailsCleanly() throws {
        var message = Repeateds()
        message.stringValues = ["a\u{1F600}", "\\"]
        message.messageValues = [Self.edgeScalars[1]]
        let json = Array(try message.jsonString().utf8)
        for length in 0..<json.count {
            #expect(throws: ProtoCodecError.self) {
                try ProtoJSON.binaryFromJSON(utf8: json[..<length], messageName: Repeateds.protoMessageName)
            }
        }
    }
}

/// One malformed input and the error it must give.
private struct BadJSON: Sendable, CustomTestStringConvertible {
    let name: String
    let json: String
    let code: ProtoCodecError.Code
    let fieldName: String?
    let messageName: String
    let innermostMessage: String?

    init(
        _ name: String,
        _ json: String,
        _ code: ProtoCodecError.Code,
        at fieldName: String? = nil,
        in message: any ProtoMessage.Type = Scalars.self,
        innermost: (any ProtoMessage.Type)? = nil
    ) {
        self.name = name
        self.json = json
        self.code = code
        self.fieldName = fieldName
        self.messageName = message.protoMessageName
        self.innermostMessage = innermost?.protoMessageName
    }

    var testDescription: String { name }

    static let table: [BadJSON] = [
        // Wrong JSON types
        BadJSON("string for int32", #"{"int32Value":"abc"}"#, .invalidFieldValue, at: "int32_value"),
        BadJSON("bool for int64", #"{"int64Value":true}"#, .invalidFieldValue, at: "int64_value"),
        BadJSON("string for bool", #"{"boolValue":"true"}"#, .invalidFieldValue, at: "bool_value"),
        BadJSON("number for string", #"{"stringValue":1}"#, .invalidFieldValue, at: "string_value"),
        BadJSON("object for double", #"{"doubleValue":{}}"#, .invalidFieldValue, at: "double_value"),
        BadJSON("bool for enum", #"{"enumValue":false}"#, .invalidFieldValue, at: "enum_value"),
        BadJSON(
            "number for message",
            #"{"messageValues":[1]}"#,
            .invalidFieldValue,
            at: "message_values[0]",
            in: Repeateds.self
        ),
        BadJSON(
            "scalar for repeated",
            #"{"int32Values":1}"#,
            .invalidFieldValue,
            at: "int32_values",
            in: Repeateds.self
        ),
        BadJSON(
            "null element",
            #"{"stringValues":["a",null]}"#,
            .invalidFieldValue,
            at: "string_values[1]",
            in: Repeateds.self
        ),
        BadJSON("string for message", #"{"messagePick":"x"}"#, .invalidFieldValue, at: "message_pick", in: Choice.self),
        // Names
        BadJSON("unknown field", #"{"nope":1}"#, .unknownField, at: "nope"),
        BadJSON(
            "unknown nested field",
            #"{"messageValues":[{},{"int32Value":1,"bogus":2}]}"#,
            .unknownField,
            at: "message_values[1].bogus",
            in: Repeateds.self,
            innermost: Scalars.self
        ),
        BadJSON("duplicate key", #"{"int32Value":1,"int32Value":1}"#, .invalidFieldValue, at: "int32_value"),
        BadJSON(
            "duplicate key in both spellings",
            #"{"int32Value":1,"int32_value":2}"#,
            .invalidFieldValue,
            at: "int32_value"
        ),
        BadJSON(
            "two oneof members",
            #"{"textPick":"a","label":"l","numberPick":"1"}"#,
            .invalidFieldValue,
            at: "number_pick",
            in: Choice.self
        ),
        // Numbers
        BadJSON("int32 too big", #"{"int32Value":2147483648}"#, .invalidFieldValue, at: "int32_value"),
        BadJSON("int32 too small", #"{"sint32Value":-2147483649}"#, .invalidFieldValue, at: "sint32_value"),
        BadJSON("negative uint32", #"{"uint32Value":-1}"#, .invalidFieldValue, at: "uint32_value"),
        BadJSON("uint64 too big", #"{"uint64Value":"18446744073709551616"}"#, .invalidFieldValue, at: "uint64_value"),
        BadJSON("int64 too small", #"{"int64Value":"-9223372036854775809"}"#, .invalidFieldValue, at: "int64_value"),
        BadJSON("huge exponent", #"{"fixed64Value":1e400}"#, .invalidFieldValue, at: "fixed64_value"),
        BadJSON("fractional int", #"{"int64Value":1.5}"#, .invalidFieldValue, at: "int64_value"),
        BadJSON("fractional exponent", #"{"int32Value":"25e-1"}"#, .invalidFieldValue, at: "int32_value"),
        BadJSON("spaces in numeric string", #"{"int32Value":" 1"}"#, .invalidFieldValue, at: "int32_value"),
        BadJSON("hex numeric string", #"{"uint32Value":"0x10"}"#, .invalidFieldValue, at: "uint32_value"),
        BadJSON("float overflow", #"{"floatValue":1e39}"#, .invalidFieldValue, at: "float_value"),
        BadJSON("double overflow", #"{"doubleValue":"1e400"}"#, .invalidFieldValue, at: "double_value"),
        BadJSON("lowercase nan", #"{"doubleValue":"nan"}"#, .invalidFieldValue, at: "double_value"),
        // Bytes and enums
        BadJSON("base64 one char over", #"{"bytesValue":"QUJDR"}"#, .invalidFieldValue, at: "bytes_value"),
        BadJSON("base64 bad char", #"{"bytesValue":"ab$="}"#, .invalidFieldValue, at: "bytes_value"),
        BadJSON("base64 inner padding", #"{"bytesValue":"a=bc"}"#, .invalidFieldValue, at: "bytes_value"),
        BadJSON("unknown enum name", #"{"enumValue":"TEST_ENUM_ELEVEN"}"#, .invalidFieldValue, at: "enum_value"),
        BadJSON("enum name with NUL", #"{"enumValue":"TEST_ENUM_ONE\u0000"}"#, .invalidFieldValue, at: "enum_value"),
        BadJSON("enum number too big", #"{"enumValue":2147483648}"#, .invalidFieldValue, at: "enum_value"),
        // Timestamps
        BadJSON(
            "timestamp month 13",
            #"{"time":"1972-13-01T00:00:00Z"}"#,
            .invalidFieldValue,
            at: "time",
            in: Timestamps.self
        ),
        BadJSON(
            "timestamp without zone",
            #"{"times":["2020-01-01T00:00:00Z","2020-01-01T00:00:00"]}"#,
            .invalidFieldValue,
            at: "times[1]",
            in: Timestamps.self
        ),
        BadJSON(
            "timestamp February 29 in a common year",
            #"{"time":"2021-02-29T00:00:00Z"}"#,
            .invalidFieldValue,
            at: "time",
            in: Timestamps.self
        ),
        BadJSON(
            "timestamp past 9999",
            #"{"time":"9999-12-31T23:59:59-01:00"}"#,
            .invalidFieldValue,
            at: "time",
            in: Timestamps.self
        ),
        BadJSON(
            "timestamp year 0",
            #"{"time":"0000-12-31T00:00:00Z"}"#,
            .invalidFieldValue,
            at: "time",
            in: Timestamps.self
        ),
        BadJSON(
            "timestamp ten fraction digits",
            #"{"time":"2020-01-01T00:00:00.0000000001Z"}"#,
            .invalidFieldValue,
            at: "time",
            in: Timestamps.self
        ),
        BadJSON("timestamp as object", #"{"time":{"seconds":1}}"#, .invalidFieldValue, at: "time", in: Timestamps.self),
        // Syntax
        BadJSON("trailing garbage", #"{"int32Value":1} x"#, .invalidJSON),
        BadJSON("two values", "{} {}", .invalidJSON),
        BadJSON("trailing comma", #"{"int32Value":1,}"#, .invalidJSON),
        BadJSON("single quotes", #"{'int32Value':1}"#, .invalidJSON),
        BadJSON("leading zero", #"{"int32Value":01}"#, .invalidJSON),
        BadJSON("bare decimal point", #"{"doubleValue":1.}"#, .invalidJSON),
        BadJSON("unterminated string", #"{"stringValue":"abc"#, .invalidJSON),
        BadJSON("raw control character", "{\"stringValue\":\"a\tb\"}", .invalidJSON),
        BadJSON("bad escape", #"{"stringValue":"\x41"}"#, .invalidJSON),
        BadJSON("lone high surrogate", #"{"stringValue":"\ud800"}"#, .invalidJSON),
        BadJSON("lone low surrogate", #"{"stringValue":"\udc00x"}"#, .invalidJSON),
        BadJSON("high surrogate then letter", #"{"stringValue":"\ud800\u0041"}"#, .invalidJSON),
        BadJSON("comment", "{/* no */}", .invalidJSON),
        BadJSON("empty input", "", .invalidJSON),
        BadJSON("top-level array", "[]", .invalidJSON),
        BadJSON("top-level null", "null", .invalidJSON),
        BadJSON("top-level string", #""x""#, .invalidJSON),
        BadJSON(
            "deep nesting",
            String(repeating: #"{"child":"#, count: 101) + "{}" + String(repeating: "}", count: 101),
            .nestingTooDeep,
            in: Nested.self
        ),
        BadJSON(
            "deep arrays",
            #"{"children":"# + String(repeating: "[", count: 10_000),
            .nestingTooDeep,
            in: Nested.self
        ),
    ]
}
