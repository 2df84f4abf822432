import BatonProtos
import Testing

/// Swift values survive encoding and decoding unchanged at the edges: defaults, Unicode,
/// extreme numbers, long repeated fields, deep and wide nesting, every oneof member, enum
/// numbers this build does not know. And what protobuf-c cannot carry is refused, not mangled.
@Suite struct RoundTripTests {
    // MARK: Defaults and presence

    @Test func fieldsAtTheirDefaultsEncodeToNothing() throws {
        var scalars = Scalars()
        scalars.doubleValue = 0
        scalars.int64Value = 0
        scalars.stringValue = ""
        scalars.bytesValue = []
        scalars.enumValue = .unspecified
        #expect(try scalars.serializedBytes() == [])

        var nested = Nested()
        nested.label = ""
        nested.children = []
        #expect(try nested.serializedBytes() == [])
        #expect(try Choice().serializedBytes() == [])
        #expect(try Timestamps().serializedBytes() == [])
    }

    @Test func emptyElementsOfRepeatedFieldsAreKept() throws {
        var message = Repeateds()
        message.stringValues = ["", "x", ""]
        message.bytesValues = [[], [], [0]]
        message.messageValues = [Scalars(), Scalars()]
        message.int32Values = [0, 0]
        message.boolValues = [false]
        message.enumValues = [.unspecified]
        try expectRoundTrip(message)
    }

    @Test func anUnsetMessageFieldIsNotAnEmptyOne() throws {
        var withEpoch = Timestamps()
        withEpoch.time = Timestamp()
        let decoded = try roundTripped(withEpoch)
        #expect(decoded.time == Timestamp())
        #expect(try roundTripped(Timestamps()).time == nil)

        var parent = Nested()
        parent.child = Nested()
        #expect(try roundTripped(parent).child == Nested())
        #expect(try roundTripped(Nested()).child == nil)
    }

    @Test(arguments: [
        Choice.OneOf_Pick.textPick("text"),
        .textPick(""),
        .numberPick(.min),
        .numberPick(0),
        .messagePick(Scalars()),
        .messagePick(RoundTripTests.extremeScalars(.maximum)),
        .enumPick(.max),
        .enumPick(.unspecified),
        .enumPick(.unrecognized(-3)),
        .bytesPick([0, 0xff]),
        .bytesPick([]),
    ])
    fileprivate func everyOneofMemberIsKeptEvenAtItsDefault(pick: Choice.OneOf_Pick) throws {
        var message = Choice()
        message.label = "before"
        message.trailer = .max
        message.pick = pick
        let decoded = try roundTripped(message)
        #expect(decoded.pick == pick)
        #expect(decoded.label == "before")
        #expect(decoded.trailer == .max)
    }

    // MARK: Strings

    @Test(arguments: TextFormatSample.strings + ["", "a"])
    func unicodeStringsKeepEveryScalar(text: String) throws {
        var scalars = Scalars()
        scalars.stringValue = text
        var repeateds = Repeateds()
        repeateds.stringValues = [text, text + text, ""]
        var choice = Choice()
        choice.pick = .textPick(text)
        var nested = Nested()
        nested.child = Nested()
        nested.children = [Nested()]
        nested.label = text

        // Swift's `==` on strings ignores normalisation (é == e + U+0301); a codec must not.
        #expect(Array(try roundTripped(scalars).stringValue.utf8) == Array(text.utf8))
        #expect(
            try roundTripped(repeateds).stringValues.map { Array($0.utf8) }
                == repeateds.stringValues.map { Array($0.utf8) }
        )
        guard case .textPick(let picked)? = try roundTripped(choice).pick else {
            Issue.record("the text member was lost")
            return
        }
        #expect(Array(picked.utf8) == Array(text.utf8))
        #expect(Array(try roundTripped(nested).label.utf8) == Array(text.utf8))
        // The wire carries strings as their UTF-8 bytes, unchanged.
        #expect(try scalars.serializedBytes().suffix(text.utf8.count).elementsEqual(text.utf8))
    }

    @Test(arguments: ["a\u{0}b", "\u{0}", "trailing\u{0}"])
    func stringsWithNULAreRefusedNamingTheField(text: String) throws {
        var scalars = Scalars()
        scalars.stringValue = text
        expectUnrepresentable(try scalars.serializedBytes(), message: "baton.test.v1.Scalars", field: "string_value")

        var repeateds = Repeateds()
        repeateds.stringValues = ["fine", text]
        expectUnrepresentable(
            try repeateds.serializedBytes(),
            message: "baton.test.v1.Repeateds",
            field: "string_values"
        )

        var choice = Choice()
        choice.pick = .textPick(text)
        expectUnrepresentable(try choice.serializedBytes(), message: "baton.test.v1.Choice", field: "text_pick")

        var inner = Nested()
        inner.label = text
        var outer = Nested()
        outer.label = "fine"
        outer.child = inner
        expectUnrepresentable(try outer.serializedBytes(), message: "baton.test.v1.Nested", field: "label")

        var element = Scalars()
        element.stringValue = text
        var container = Repeateds()
        container.messageValues = [Scalars(), element]
        expectUnrepresentable(try container.serializedBytes(), message: "baton.test.v1.Scalars", field: "string_value")
    }

    // MARK: Numbers

    fileprivate enum Extreme: CaseIterable { case minimum, maximum }

    fileprivate static func extremeScalars(_ extreme: Extreme) -> Scalars {
        var message = Scalars()
        let isMax = extreme == .maximum
        message.doubleValue = isMax ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude
        message.floatValue = isMax ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude
        message.int32Value = isMax ? .max : .min
        message.int64Value = isMax ? .max : .min
        message.uint32Value = isMax ? .max : 1
        message.uint64Value = isMax ? .max : 1
        message.sint32Value = isMax ? .max : .min
        message.sint64Value = isMax ? .max : .min
        message.fixed32Value = isMax ? .max : 1
        message.fixed64Value = isMax ? .max : 1
        message.sfixed32Value = isMax ? .max : .min
        message.sfixed64Value = isMax ? .max : .min
        message.boolValue = true
        message.enumValue = isMax ? .max : .one
        return message
    }

    @Test(arguments: Extreme.allCases)
    fileprivate func extremeIntegersRoundTrip(extreme: Extreme) throws {
        try expectRoundTrip(Self.extremeScalars(extreme))
    }

    @Test func everyIntegerExtremeRoundTripsInRepeatedFields() throws {
        var message = Repeateds()
        message.int32Values = [.min, -1, 0, 1, .max]
        message.int64Values = [.min, Int64(Int32.min) - 1, -1, 0, 1, Int64(Int32.max) + 1, .max]
        message.uint32Values = [0, 1, 127, 128, 16_383, 16_384, .max]
        message.uint64Values = [0, 1, UInt64(UInt32.max) + 1, 1 << 63, .max]
        message.sint32Values = [.min, -1, 0, 1, .max]
        message.sint64Values = [.min, -1, 0, 1, .max]
        message.fixed32Values = [0, .max]
        message.fixed64Values = [0, .max]
        message.sfixed32Values = [.min, 0, .max]
        message.sfixed64Values = [.min, 0, .max]
        message.messageValues = [Self.extremeScalars(.minimum), Self.extremeScalars(.maximum)]
        try expectRoundTrip(message)
    }

    @Test(
        arguments: [
            0.0, -0.0, 1, -1, .pi, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNormalMagnitude,
            .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .nan,
        ] as [Double]
    )
    func doublesKeepTheirExactBits(value: Double) throws {
        var scalars = Scalars()
        scalars.doubleValue = value
        var repeateds = Repeateds()
        repeateds.doubleValues = [value, value]
        // A singular -0.0 is the one value that does not keep its bits: see the next test.
        let singular = value == 0 ? 0.0 : value
        #expect(try roundTripped(scalars).doubleValue.bitPattern == singular.bitPattern)
        #expect(try roundTripped(repeateds).doubleValues.map(\.bitPattern) == [value.bitPattern, value.bitPattern])
    }

    /// protobuf-c 1.4.1 writes no zero value in a singular proto3 field and takes -0.0 for zero
    /// (`-0.0 == 0`), so a singular -0.0 reads back as +0.0: equal as a number, not in its sign
    /// bit. Repeated fields and oneof members keep it (above). Documented in Protos/README.md.
    @Test func negativeZeroInASingularFieldReadsBackAsZero() throws {
        var scalars = Scalars()
        scalars.doubleValue = -0.0
        scalars.floatValue = -0.0
        #expect(try scalars.serializedBytes().isEmpty)
        let back = try roundTripped(scalars)
        #expect(back.doubleValue == 0 && back.doubleValue.sign == .plus)
        #expect(back.floatValue == 0 && back.floatValue.sign == .plus)
    }

    @Test(
        arguments: [
            0.0, -0.0, 1, -1, .pi, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNormalMagnitude,
            .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .nan,
        ] as [Float]
    )
    func floatsKeepTheirExactBits(value: Float) throws {
        var scalars = Scalars()
        scalars.floatValue = value
        var repeateds = Repeateds()
        repeateds.floatValues = [value, value]
        let singular: Float = value == 0 ? 0 : value
        #expect(try roundTripped(scalars).floatValue.bitPattern == singular.bitPattern)
        #expect(try roundTripped(repeateds).floatValues.map(\.bitPattern) == [value.bitPattern, value.bitPattern])
    }

    // MARK: Long repeated fields

    @Test func longNumericRepeatedFieldsRoundTrip() throws {
        let count = 100_000
        var message = Repeateds()
        // Spread over each type's whole range, so every varint length occurs.
        message.int32Values = (0..<count).map { Int32(truncatingIfNeeded: $0 &* 42_949 &+ Int(Int32.min)) }
        message.int64Values = (0..<count).map { Int64($0) &* 92_233_720_368_547 &+ .min }
        message.uint64Values = (0..<count).map { UInt64($0) &* 184_467_440_737_095 }
        message.sint32Values = message.int32Values.reversed()
        message.fixed64Values = message.uint64Values
        message.doubleValues = (0..<count).map { Double($0) * -1.5e300 / Double(count) }
        message.boolValues = (0..<count).map { $0 % 3 == 0 }
        message.enumValues = (0..<count).map { TestEnum(rawValue: Int32($0 % 12)) }
        let decoded = try roundTripped(message)
        #expect(decoded.int32Values.count == count)
        #expect(decoded == message)
    }

    @Test func longRepeatedStringsBytesAndMessagesRoundTrip() throws {
        let count = 10_000
        var message = Repeateds()
        message.stringValues = (0..<count).map {
            "entry \($0) — \(TextFormatSample.strings[$0 % TextFormatSample.strings.count])"
        }
        // One string long enough for a three-byte length prefix.
        message.stringValues[count / 2] = String(repeating: "ü", count: 70_000)
        message.bytesValues = (0..<count).map { index in
            (0..<(index % 300)).map { UInt8(truncatingIfNeeded: $0 &+ index) }
        }
        message.messageValues = (0..<count).map { index in
            var element = Scalars()
            element.int64Value = Int64(index) - 5_000
            element.stringValue = "message \(index)"
            return element
        }
        let decoded = try roundTripped(message)
        #expect(decoded.stringValues.count == count)
        #expect(decoded.messageValues.count == count)
        #expect(decoded == message)
    }

    // MARK: Nesting

    @Test func aChainAsDeepAsTheDefaultLimitRoundTrips() throws {
        let depth = ProtoDecodingOptions().maxDepth
        let chain = Self.chain(depth: depth)
        let decoded = try roundTripped(chain)
        #expect(decoded == chain)
        var level: Nested? = decoded
        var seen = 0
        while let current = level {
            seen += 1
            #expect(current.label == "level \(seen)")
            level = current.child
        }
        #expect(seen == depth)
    }

    @Test func wideTreesRoundTrip() throws {
        func tree(depth: Int, path: String) -> Nested {
            var node = Nested()
            node.label = path
            if depth > 0 {
                node.children = (0..<8).map { tree(depth: depth - 1, path: "\(path).\($0)") }
                node.child = tree(depth: 0, path: "\(path).only")
            }
            return node
        }
        try expectRoundTrip(tree(depth: 3, path: "root"))
    }

    @Test func nestedMessagesOfOtherTypesRoundTrip() throws {
        var message = Timestamps()
        message.time = Self.timestamp(seconds: 253_402_300_799, nanos: 999_999_999)
        message.times = [
            Self.timestamp(seconds: -62_135_596_800, nanos: 0),
            Timestamp(),
            Self.timestamp(seconds: -1, nanos: 999_999_999),
        ]
        try expectRoundTrip(message)

        var repeateds = Repeateds()
        repeateds.messageValues = (0..<50).map { index in
            var element = Self.extremeScalars(index.isMultiple(of: 2) ? .minimum : .maximum)
            element.stringValue = TextFormatSample.strings[index % TextFormatSample.strings.count]
            element.bytesValue = TextFormatSample.bytes[index % TextFormatSample.bytes.count]
            return element
        }
        try expectRoundTrip(repeateds)
    }

    // MARK: Enums from a newer schema

    @Test(arguments: [3, 9, 11, 1_000_000, -1, Int32.min, Int32.max - 1])
    func unknownEnumNumbersSurviveARoundTrip(number: Int32) throws {
        #expect(TestEnum(rawValue: number) == .unrecognized(number))
        var scalars = Scalars()
        scalars.enumValue = .unrecognized(number)
        #expect(try roundTripped(scalars).enumValue == .unrecognized(number))

        var repeateds = Repeateds()
        repeateds.enumValues = [.one, .unrecognized(number), .max]
        #expect(try roundTripped(repeateds).enumValues == [.one, .unrecognized(number), .max])

        var choice = Choice()
        choice.pick = .enumPick(.unrecognized(number))
        #expect(try roundTripped(choice).pick == .enumPick(.unrecognized(number)))

        // An enum of another file (gRPC status codes, some of these numbers are known there).
        var request = Baton_Test_V1_EchoRequest()
        request.failWith = Baton_Rpc_V1_StatusCode(rawValue: number)
        #expect(try roundTripped(request).failWith.rawValue == number)
    }

    @Test func unknownEnumNumbersFromAnotherEncoderAreKept() throws {
        let scalarBytes = try Protoc.encode("enum_value: 99", as: "baton.test.v1.Scalars")
        let scalars = try Scalars(serializedBytes: scalarBytes)
        #expect(scalars.enumValue == .unrecognized(99))
        #expect(try scalars.serializedBytes() == scalarBytes)

        let repeatedBytes = try Protoc.encode("enum_values: [TEST_ENUM_TWO, 100, -5]", as: "baton.test.v1.Repeateds")
        let repeateds = try Repeateds(serializedBytes: repeatedBytes)
        #expect(repeateds.enumValues == [.two, .unrecognized(100), .unrecognized(-5)])
        #expect(try repeateds.serializedBytes() == repeatedBytes)
    }

    // MARK: Bytes from any collection

    @Test func bytesNotStoredContiguouslyDecodeAsTheSameValueOrError() throws {
        var message = Repeateds()
        message.stringValues = ["a", "ü", ""]
        message.int32Values = [1, -2]
        let wire = try message.serializedBytes()
        #expect(try Repeateds(serializedBytes: wire.lazy.map { $0 }) == message)

        let truncated = wire.dropLast()
        var contiguousError: ProtoCodecError?
        var lazyError: ProtoCodecError?
        do { _ = try Repeateds(serializedBytes: Array(truncated)) } catch { contiguousError = error }
        do { _ = try Repeateds(serializedBytes: truncated.lazy.map { $0 }) } catch { lazyError = error }
        #expect(contiguousError != nil)
        #expect(lazyError?.code == contiguousError?.code)
        #expect(lazyError?.messageName == contiguousError?.messageName)
    }

    // MARK: Helpers

    private static func chain(depth: Int) -> Nested {
        var node = Nested()
        node.label = "level \(depth)"
        for level in stride(from: depth - 1, through: 1, by: -1) {
            var parent = Nested()
            parent.label = "level \(level)"
            parent.child = node
            node = parent
        }
        return node
    }

    private static func timestamp(seconds: Int64, nanos: Int32) -> Timestamp {
        var timestamp = Timestamp()
        timestamp.seconds = seconds
        timestamp.nanos = nanos
        return timestamp
    }
}

private func roundTripped<M: ProtoMessage>(_ message: M) throws -> M {
    try M(serializedBytes: message.serializedBytes())
}

private func expectRoundTrip<M: ProtoMessage>(
    _ message: M,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let bytes = try message.serializedBytes()
    let decoded = try M(serializedBytes: bytes)
    #expect(decoded == message, sourceLocation: sourceLocation)
    #expect(try decoded.serializedBytes() == bytes, sourceLocation: sourceLocation)
}

private func expectUnrepresentable(
    _ encode: @autoclosure () throws(ProtoCodecError) -> [UInt8],
    message: String,
    field: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let bytes = try encode()
        Issue.record("encoded a string holding U+0000 as \(bytes.count) bytes", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == .unrepresentableString, sourceLocation: sourceLocation)
        #expect(error.messageName == message, sourceLocation: sourceLocation)
        #expect(error.fieldName == field, sourceLocation: sourceLocation)
    }
}
