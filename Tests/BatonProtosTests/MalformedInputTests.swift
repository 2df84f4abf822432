import BatonProtos
import Testing

/// Untrusted bytes never crash the decoder, never make it recurse or allocate without bound,
/// and every bad input is one `ProtoCodecError` that says what was wrong and where; the typed
/// decoder and the JSON path agree, and nothing is left broken for the next decode.
@Suite struct MalformedInputTests {
    // MARK: The table

    @Test(arguments: MalformedInput.table)
    func malformedInputIsAnErrorNamingWhereItIs(input: MalformedInput) throws {
        let type = try #require(BatonSchema.messageType(named: input.messageName))
        if let error = decodingError(type, input.bytes) {
            #expect(error.code == input.code, "\(error)")
            #expect(error.messageName == input.failingMessage, "\(error)")
            if let field = input.fieldName {
                #expect(error.fieldName == field, "\(error)")
            }
        } else {
            Issue.record("decoded without an error")
        }
        do {
            let json = try ProtoJSON.jsonFromBinary(input.bytes, messageName: input.messageName)
            Issue.record("the JSON path accepted it as \(json)")
        } catch {
            #expect(error.code == input.code, "JSON path: \(error)")
        }
        try expectValidInputStillDecodes(type)
    }

    // MARK: Timestamp range

    /// The first and last instants proto3 allows decode, and one step past either is refused
    /// with an error that names the field and the range.
    @Test(arguments: [
        (Int64(-62_135_596_800), Int32(0), Int64(-62_135_596_801), Int32(0)),
        (253_402_300_799, 999_999_999, 253_402_300_800, 0),
        (-1, 999_999_999, -1, 1_000_000_000),
        (0, 0, 0, -1),
    ])
    func timestampsDecodeExactlyWithinProto3sRange(
        seconds: Int64,
        nanos: Int32,
        pastSeconds: Int64,
        pastNanos: Int32
    ) throws {
        var timestamp = Timestamp()
        timestamp.seconds = seconds
        timestamp.nanos = nanos
        var message = Timestamps()
        message.time = timestamp
        message.times = [timestamp]
        #expect(try Timestamps(serializedBytes: message.serializedBytes()) == message)

        message.time?.seconds = pastSeconds
        message.time?.nanos = pastNanos
        let bytes = try message.serializedBytes()
        let error = #expect(throws: ProtoCodecError.self) { try Timestamps(serializedBytes: bytes) }
        #expect(error?.code == .invalidFieldValue)
        #expect(error?.messageName == Timestamps.protoMessageName)
        #expect(error?.fieldName == "time")
        let range = pastSeconds == seconds ? "0 to 999999999" : "0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
        #expect(error?.description.contains(range) == true, "\(String(describing: error))")
    }

    // MARK: Valid input no encoder writes

    @Test func fieldsFromANewerSchemaAreSkipped() throws {
        var known = Scalars()
        known.int32Value = -5
        known.stringValue = "kept"
        let bytes =
            Wire.varintField(1_000, 7) + (try known.serializedBytes()) + Wire.lengthDelimited(2_000, [1, 2, 3])
            + Wire.tag(3_000, .fixed32) + [1, 2, 3, 4] + Wire.tag(536_870_911, .fixed64)
            + [UInt8](repeating: 9, count: 8)
        #expect(try Scalars(serializedBytes: bytes) == known)
        #expect(try ProtoJSON.jsonFromBinary(bytes, messageName: Scalars.protoMessageName) == known.jsonString())

        var container = Repeateds()
        container.messageValues = [known]
        let nestedUnknown = Wire.lengthDelimited(17, Wire.varintField(999, 1) + (try known.serializedBytes()))
        #expect(try Repeateds(serializedBytes: nestedUnknown) == container)
    }

    @Test func theLastOfARepeatedSingularFieldWins() throws {
        let bytes =
            Wire.varintField(3, 1) + Wire.lengthDelimited(14, Array("first".utf8)) + Wire.varintField(3, 2)
            + Wire.lengthDelimited(14, Array("second".utf8))
        let decoded = try Scalars(serializedBytes: bytes)
        #expect(decoded.int32Value == 2)
        #expect(decoded.stringValue == "second")
    }

    @Test func repeatedNumbersAreReadPackedAndUnpacked() throws {
        let unpacked = Wire.varintField(3, 1) + Wire.varintField(3, 2) + Wire.tag(9, .fixed32) + [7, 0, 0, 0]
        let packedAfter = Wire.lengthDelimited(3, Wire.varint(3) + Wire.varint(4))
        let decoded = try Repeateds(serializedBytes: unpacked + packedAfter)
        #expect(decoded.int32Values == [1, 2, 3, 4])
        #expect(decoded.fixed32Values == [7])
    }

    // MARK: Nesting

    @Test(arguments: MalformedInputTests.typesReachingRecursion)
    func nestingFarPastTheLimitFailsWithoutRecursing(messageName: String) throws {
        let type = try #require(BatonSchema.messageType(named: messageName))
        let descriptor = try #require(ProtoMessageDescriptor.lookup(messageName))
        let path = try #require(Self.pathToRecursion(from: descriptor))
        // Built from the inside out, iteratively: 100 000 levels, far past any stack.
        let fields = path.entry + Array(repeating: path.cycle, count: 100_000 / path.cycle.count + 1).flatMap { $0 }
        let bytes = Wire.nesting(fields)
        let failure = decodingError(type, bytes)
        let error = try #require(failure, "decoded \(fields.count) levels of nesting")
        #expect(error.code == .nestingTooDeep, "\(error)")
        #expect(throws: ProtoCodecError.self) { try ProtoJSON.jsonFromBinary(bytes, messageName: messageName) }
        try expectValidInputStillDecodes(type)
    }

    @Test(arguments: [1, 3] as [UInt64])
    func theOutermostMessageIsDepthOne(nestingField: UInt64) throws {
        let limit = ProtoDecodingOptions().maxDepth
        let atLimit = Wire.nesting(Array(repeating: nestingField, count: limit - 1))
        let pastLimit = Wire.nesting(Array(repeating: nestingField, count: limit))
        #expect(throws: Never.self) { try Nested(serializedBytes: atLimit) }
        #expect(throws: ProtoCodecError.self) { try Nested(serializedBytes: pastLimit) }

        let strict = ProtoDecodingOptions(maxDepth: 5)
        let five = Wire.nesting(Array(repeating: nestingField, count: 4))
        let six = Wire.nesting(Array(repeating: nestingField, count: 5))
        #expect(throws: Never.self) { try Nested(serializedBytes: five, options: strict) }
        let error = #expect(throws: ProtoCodecError.self) { try Nested(serializedBytes: six, options: strict) }
        #expect(error?.code == .nestingTooDeep)
        #expect(error?.messageName == Nested.protoMessageName)
    }

    // MARK: Memory

    @Test func aSmallBudgetRefusesABigRepeatedField() throws {
        var message = Repeateds()
        message.int32Values = Array(0..<100_000)
        let bytes = try message.serializedBytes()
        let tight = ProtoDecodingOptions(allocationBudget: 64 << 10)
        let error = #expect(throws: ProtoCodecError.self) { try Repeateds(serializedBytes: bytes, options: tight) }
        #expect(error?.code == .allocationBudgetExceeded)
        #expect(error?.messageName == Repeateds.protoMessageName)
        let jsonError = #expect(throws: ProtoCodecError.self) {
            try ProtoJSON.jsonFromBinary(bytes, messageName: Repeateds.protoMessageName, decodingOptions: tight)
        }
        #expect(jsonError?.code == .allocationBudgetExceeded)
        // The same bytes within the default budget, and the small budget for small input, still work.
        #expect(try Repeateds(serializedBytes: bytes).int32Values.count == 100_000)
        #expect(try Scalars(serializedBytes: Wire.varintField(3, 1), options: tight).int32Value == 1)
    }

    @Test func theDefaultBudgetStopsInputThatExpandsInMemory() throws {
        // Three bytes each on the wire, a whole C struct each in memory: 3 MB that would unpack
        // to well over the 64 MB budget.
        let emptyElement = Wire.lengthDelimited(17, [])
        var bytes: [UInt8] = []
        bytes.reserveCapacity(emptyElement.count * 1_000_000)
        for _ in 0..<1_000_000 { bytes += emptyElement }
        let error = #expect(throws: ProtoCodecError.self) { try Repeateds(serializedBytes: bytes) }
        #expect(error?.code == .allocationBudgetExceeded)
        let fewer = Array(bytes.prefix(emptyElement.count * 1_000))
        #expect(try Repeateds(serializedBytes: fewer).messageValues.count == 1_000)
    }

    // MARK: Random input

    @Test func randomBytesDecodeOrFailCleanlyForEveryMessageType() throws {
        var random = SplitMix64(seed: 0xBA70_0001)
        for type in BatonSchema.messageTypes {
            for _ in 0..<250 {
                let count = Int.random(in: 0...48, using: &random)
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
                try expectCleanOutcome(type, bytes)
            }
        }
    }

    @Test func mutatedValidInputDecodesOrFailsCleanly() throws {
        var random = SplitMix64(seed: 0xBA70_0002)
        for sample in try Self.mutationSeeds() {
            let type = try #require(BatonSchema.messageType(named: sample.messageName))
            for _ in 0..<2_000 {
                try expectCleanOutcome(type, Self.mutate(sample.bytes, using: &random))
            }
        }
    }

    // MARK: Helpers

    /// Why `bytes` are not a valid `M`, or nil when they are.
    private func decodingError<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) -> ProtoCodecError? {
        do {
            _ = try M(serializedBytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    /// A decode either fails, or gives a value whose encoding is stable: decoding and encoding
    /// it again changes nothing. When the typed decode fails, so does the JSON path.
    private func expectCleanOutcome<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) throws {
        switch Result(catching: { () throws(ProtoCodecError) in try M(serializedBytes: bytes) }) {
        case .success(let value):
            let canonical = try value.serializedBytes()
            let again = try M(serializedBytes: canonical).serializedBytes()
            #expect(again == canonical, "\(M.protoMessageName) from \(bytes) is not stable")
        case .failure(let error):
            #expect(error.messageName.hasPrefix("baton.") || error.messageName.hasPrefix("google."))
            let json = Result { () throws(ProtoCodecError) in
                try ProtoJSON.jsonFromBinary(bytes, messageName: M.protoMessageName)
            }
            if case .success(let text) = json {
                Issue.record("\(M.protoMessageName): typed decode failed (\(error)) but JSON gave \(text) for \(bytes)")
            }
        }
    }

    private func expectValidInputStillDecodes<M: ProtoMessage>(
        _ type: M.Type,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let bytes = try ValidSamples.bytes(of: M.protoMessageName)
        let decoded = try M(serializedBytes: bytes)
        #expect(try decoded.serializedBytes() == bytes, sourceLocation: sourceLocation)
    }

    private static func mutate(_ bytes: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var result = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let position = Int.random(in: 0...result.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where position < result.count:
                result[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            case 1 where position < result.count: result[position] = UInt8.random(in: 0...255, using: &random)
            case 2: result.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 3 where position < result.count: result.remove(at: position)
            default: result = Array(result.prefix(position))
            }
        }
        return result
    }

    /// Valid encodings to mutate: the test messages, and protoc's edge samples of domain messages.
    private static func mutationSeeds() throws -> [(messageName: String, bytes: [UInt8])] {
        var seeds: [(messageName: String, bytes: [UInt8])] = []
        for name in [
            Scalars.protoMessageName, Repeateds.protoMessageName, Nested.protoMessageName, Choice.protoMessageName,
        ] {
            seeds.append((name, try ValidSamples.bytes(of: name)))
        }
        for name in ["baton.v1.Chat", "baton.v1.TransferRequest", "baton.v1.Event", "baton.rpc.v1.Trailers"] {
            let descriptor = try #require(ProtoMessageDescriptor.lookup(name))
            seeds.append((name, try Protoc.encode(TextFormatSample.edge(descriptor), as: name)))
        }
        return seeds
    }

    // MARK: Recursion in the schema

    /// Every message type that can contain a message type that contains itself: each must refuse
    /// nesting past the limit, whether or not it is recursive itself.
    static let typesReachingRecursion: [String] = BatonSchema.messageTypes.map { $0.protoMessageName }.filter {
        ProtoMessageDescriptor.lookup($0).flatMap(pathToRecursion(from:)) != nil
    }

    /// Field numbers from `start` into a recursive type (`entry`), then around that type's cycle.
    static func pathToRecursion(from start: ProtoMessageDescriptor) -> (entry: [UInt64], cycle: [UInt64])? {
        var queue: [(ProtoMessageDescriptor, [UInt64])] = [(start, [])]
        var visited: Set<ProtoMessageDescriptor> = [start]
        var index = 0
        while index < queue.count {
            let (descriptor, path) = queue[index]
            index += 1
            if let cycle = fieldPath(from: descriptor, to: descriptor) {
                return (path, cycle)
            }
            for field in descriptor.fields {
                guard let next = field.messageType, visited.insert(next).inserted else { continue }
                queue.append((next, path + [UInt64(field.number)]))
            }
        }
        return nil
    }

    /// The shortest non-empty chain of message fields leading from `start` to `target`.
    private static func fieldPath(from start: ProtoMessageDescriptor, to target: ProtoMessageDescriptor) -> [UInt64]? {
        var queue: [(ProtoMessageDescriptor, [UInt64])] = [(start, [])]
        var visited: Set<ProtoMessageDescriptor> = []
        var index = 0
        while index < queue.count {
            let (descriptor, path) = queue[index]
            index += 1
            for field in descriptor.fields {
                guard let next = field.messageType else { continue }
                let nextPath = path + [UInt64(field.number)]
                if next == target { return nextPath }
                if visited.insert(next).inserted { queue.append((next, nextPath)) }
            }
        }
        return nil
    }
}

/// One row of the malformed-input table.
struct MalformedInput: Sendable, CustomTestStringConvertible {
    let name: String
    let messageName: String
    let bytes: [UInt8]
    let code: ProtoCodecError.Code
    /// The message the error names: the innermost one when the fault is in a nested message.
    let failingMessage: String
    /// The field the error must name; nil where no field is at fault or it is unknown.
    let fieldName: String?

    var testDescription: String { "\(name) (\(messageName))" }

    init(
        _ name: String,
        _ messageName: String,
        _ bytes: [UInt8],
        _ code: ProtoCodecError.Code,
        field: String? = nil,
        in failingMessage: String? = nil
    ) {
        self.name = name
        self.messageName = messageName
        self.bytes = bytes
        self.code = code
        self.fieldName = field
        self.failingMessage = failingMessage ?? messageName
    }

    private static let scalars = "baton.test.v1.Scalars"
    private static let repeateds = "baton.test.v1.Repeateds"
    private static let nested = "baton.test.v1.Nested"
    private static let choice = "baton.test.v1.Choice"
    private static let chat = "baton.v1.Chat"

    static let table: [MalformedInput] =
        truncated + wrongWireTypes + badTags + invalidUTF8 + nulInStrings + outOfRangeTimestamps

    static let truncated: [MalformedInput] = [
        .init("truncated tag", scalars, [0x80], .malformedWire),
        .init("tag longer than ten bytes", scalars, [UInt8](repeating: 0xff, count: 10) + [0x01], .malformedWire),
        .init("truncated varint", scalars, Wire.tag(3, .varint) + [0x80], .malformedWire, field: "int32_value"),
        .init(
            "varint longer than ten bytes",
            scalars,
            Wire.tag(4, .varint) + [UInt8](repeating: 0xff, count: 10) + [0x01],
            .malformedWire,
            field: "int64_value"
        ),
        .init(
            "truncated after a valid field",
            scalars,
            Wire.varintField(3, 5) + Wire.tag(4, .varint) + [0xff],
            .malformedWire,
            field: "int64_value"
        ),
        .init("truncated fixed32", scalars, Wire.tag(9, .fixed32) + [1, 2, 3], .malformedWire, field: "fixed32_value"),
        .init("truncated float", scalars, Wire.tag(2, .fixed32) + [0], .malformedWire, field: "float_value"),
        .init(
            "truncated fixed64",
            scalars,
            Wire.tag(10, .fixed64) + [1, 2, 3, 4, 5, 6, 7],
            .malformedWire,
            field: "fixed64_value"
        ),
        .init(
            "truncated double",
            scalars,
            Wire.tag(1, .fixed64) + [0, 0, 0, 0],
            .malformedWire,
            field: "double_value"
        ),
        .init(
            "truncated length",
            scalars,
            Wire.tag(14, .lengthDelimited) + [0x80],
            .malformedWire,
            field: "string_value"
        ),
        .init(
            "length past the end",
            scalars,
            Wire.tag(14, .lengthDelimited) + Wire.varint(10) + Array("abc".utf8),
            .malformedWire,
            field: "string_value"
        ),
        .init(
            "length one past the end",
            scalars,
            Wire.tag(15, .lengthDelimited) + Wire.varint(4) + [1, 2, 3],
            .malformedWire,
            field: "bytes_value"
        ),
        .init(
            "length 2^31",
            scalars,
            Wire.tag(15, .lengthDelimited) + Wire.varint(1 << 31) + [0],
            .malformedWire,
            field: "bytes_value"
        ),
        .init(
            "length 2^63",
            scalars,
            Wire.tag(15, .lengthDelimited) + Wire.varint(1 << 63) + [0],
            .malformedWire,
            field: "bytes_value"
        ),
        .init(
            "length 2^64 - 1",
            scalars,
            Wire.tag(14, .lengthDelimited) + Wire.varint(.max) + [0x41],
            .malformedWire,
            field: "string_value"
        ),
        .init(
            "message length 2^64 - 2",
            repeateds,
            Wire.tag(17, .lengthDelimited) + Wire.varint(.max - 1) + [0],
            .malformedWire,
            field: "message_values"
        ),
        .init(
            "truncated packed varints",
            repeateds,
            Wire.lengthDelimited(3, [0x80]),
            .malformedWire,
            field: "int32_values"
        ),
        .init(
            "packed fixed32s not a multiple of four",
            repeateds,
            Wire.lengthDelimited(9, [1, 2, 3]),
            .malformedWire,
            field: "fixed32_values"
        ),
        .init(
            "packed doubles not a multiple of eight",
            repeateds,
            Wire.lengthDelimited(1, [UInt8](repeating: 0, count: 12)),
            .malformedWire,
            field: "double_values"
        ),
        .init(
            "truncated inside a nested message",
            repeateds,
            Wire.lengthDelimited(17, Wire.varintField(3, 1) + Wire.tag(4, .varint) + [0x80]),
            .malformedWire,
            field: "int64_value",
            in: scalars
        ),
        .init(
            "string longer than the message around it",
            nested,
            Wire.lengthDelimited(1, Wire.tag(2, .lengthDelimited) + [5]) + Array("abcde".utf8),
            .malformedWire,
            field: "label"
        ),
    ]

    static let wrongWireTypes: [MalformedInput] = [
        .init("int32 as length-delimited", scalars, Wire.lengthDelimited(3, [0]), .malformedWire, field: "int32_value"),
        .init("string as varint", scalars, Wire.varintField(14, 1), .malformedWire, field: "string_value"),
        .init(
            "bytes as fixed32",
            scalars,
            Wire.tag(15, .fixed32) + [1, 2, 3, 4],
            .malformedWire,
            field: "bytes_value"
        ),
        .init("fixed32 as varint", scalars, Wire.varintField(9, 1), .malformedWire, field: "fixed32_value"),
        .init(
            "double as fixed32",
            scalars,
            Wire.tag(1, .fixed32) + [0, 0, 0, 0],
            .malformedWire,
            field: "double_value"
        ),
        .init(
            "float as fixed64",
            scalars,
            Wire.tag(2, .fixed64) + [UInt8](repeating: 0, count: 8),
            .malformedWire,
            field: "float_value"
        ),
        .init(
            "enum as fixed64",
            scalars,
            Wire.tag(16, .fixed64) + [UInt8](repeating: 1, count: 8),
            .malformedWire,
            field: "enum_value"
        ),
        .init("bool as length-delimited", scalars, Wire.lengthDelimited(13, [1]), .malformedWire, field: "bool_value"),
        .init("bool as fixed32", scalars, Wire.tag(13, .fixed32) + [1, 0, 0, 0], .malformedWire, field: "bool_value"),
        .init(
            "repeated bool as fixed64",
            repeateds,
            Wire.tag(13, .fixed64) + [1, 0, 0, 0, 0, 0, 0, 0],
            .malformedWire,
            field: "bool_values"
        ),
        .init("message as varint", repeateds, Wire.varintField(17, 1), .malformedWire, field: "message_values"),
        .init("repeated string as varint", repeateds, Wire.varintField(14, 1), .malformedWire, field: "string_values"),
        .init("message as fixed32", nested, Wire.tag(1, .fixed32) + [0, 0, 0, 0], .malformedWire, field: "child"),
        .init("oneof string as varint", choice, Wire.varintField(2, 1), .malformedWire, field: "text_pick"),
        .init(
            "oneof message as fixed64",
            choice,
            Wire.tag(4, .fixed64) + [UInt8](repeating: 0, count: 8),
            .malformedWire,
            field: "message_pick"
        ),
        .init(
            "nested message field as varint",
            chat,
            Wire.lengthDelimited(2, Wire.varintField(1, 1)),
            .malformedWire,
            field: "id",
            in: "baton.v1.Visitor"
        ),
    ]

    static let badTags: [MalformedInput] = [
        .init("field number 0, varint", scalars, [0x00, 0x01], .malformedWire),
        .init("field number 0, length-delimited", scalars, [0x02, 0x00], .malformedWire),
        .init("field number 2^29 (too big)", scalars, Wire.varintField(1 << 29, 1), .malformedWire),
        .init("field number 2^29 in a recursive message", nested, Wire.varintField(1 << 29, 1), .malformedWire),
        .init("field number 2^32", scalars, Wire.varintField(1 << 32, 1), .malformedWire),
        .init("start group, known field", scalars, Wire.tag(3, .startGroup), .malformedWire, field: "int32_value"),
        .init(
            "start and end group, unknown field",
            scalars,
            Wire.tag(99, .startGroup) + Wire.tag(99, .endGroup),
            .malformedWire
        ),
        .init("end group alone", scalars, Wire.tag(5, .endGroup), .malformedWire, field: "uint32_value"),
        .init("end group, unknown field", scalars, Wire.tag(100, .endGroup), .malformedWire),
        .init("wire type 6, known field", scalars, Wire.tag(1, .invalid6) + [0], .malformedWire),
        .init("wire type 7, known field", scalars, Wire.tag(14, .invalid7) + [0], .malformedWire),
        .init("wire type 6, unknown field", scalars, Wire.tag(1_000, .invalid6), .malformedWire),
        .init(
            "wire type 7 inside a nested message",
            repeateds,
            Wire.lengthDelimited(17, Wire.tag(1, .invalid7)),
            .malformedWire,
            in: scalars
        ),
    ]

    static let invalidUTF8: [MalformedInput] = {
        let sequences: [(String, [UInt8])] = [
            ("byte 0xff", [0xff]),
            ("byte 0xfe", [0xfe]),
            ("lone continuation byte", [0x80]),
            ("truncated two-byte sequence", [0xc3]),
            ("truncated three-byte sequence", [0xe2, 0x82]),
            ("truncated four-byte sequence at the end", Array("abc".utf8) + [0xf0, 0x9f, 0x8e]),
            ("overlong '/'", [0xc0, 0xaf]),
            ("overlong U+0000 (modified UTF-8)", [0xc0, 0x80]),
            ("overlong three-byte '/'", [0xe0, 0x80, 0xaf]),
            ("overlong four-byte '/'", [0xf0, 0x80, 0x80, 0xaf]),
            ("surrogate U+D800", [0xed, 0xa0, 0x80]),
            ("surrogate U+DFFF", [0xed, 0xbf, 0xbf]),
            ("surrogate pair (CESU-8)", [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]),
            ("code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]),
            ("five-byte sequence", [0xf8, 0x88, 0x80, 0x80, 0x80]),
        ]
        let inScalars = sequences.map { name, bad in
            MalformedInput(
                "invalid UTF-8: \(name)",
                scalars,
                Wire.lengthDelimited(14, Array("ok ".utf8) + bad),
                .invalidUTF8,
                field: "string_value"
            )
        }
        let surrogate: [UInt8] = [0xed, 0xa0, 0x80]
        let elsewhere: [MalformedInput] = [
            .init(
                "invalid UTF-8 in the second element of a repeated string",
                repeateds,
                Wire.lengthDelimited(14, Array("fine".utf8)) + Wire.lengthDelimited(14, [0xff]),
                .invalidUTF8,
                field: "string_values"
            ),
            .init(
                "invalid UTF-8 in a string of a repeated message",
                repeateds,
                Wire.lengthDelimited(17, []) + Wire.lengthDelimited(17, Wire.lengthDelimited(14, surrogate)),
                .invalidUTF8,
                field: "string_value",
                in: scalars
            ),
            .init(
                "invalid UTF-8 in a oneof string",
                choice,
                Wire.lengthDelimited(2, [0xc0, 0xaf]),
                .invalidUTF8,
                field: "text_pick"
            ),
            .init(
                "invalid UTF-8 two levels down",
                nested,
                Wire.lengthDelimited(1, Wire.lengthDelimited(1, Wire.lengthDelimited(2, [0xfe]))),
                .invalidUTF8,
                field: "label"
            ),
            .init(
                "invalid UTF-8 in a chat's owner",
                chat,
                Wire.lengthDelimited(3, Array("rep-".utf8) + [0xff]),
                .invalidUTF8,
                field: "owner_rep_id"
            ),
            .init(
                "invalid UTF-8 in a transcript entry",
                chat,
                Wire.lengthDelimited(1, Array("chat".utf8))
                    + Wire.lengthDelimited(11, Wire.lengthDelimited(5, surrogate)),
                .invalidUTF8,
                field: "text",
                in: "baton.v1.TranscriptEntry"
            ),
        ]
        return inScalars + elsewhere
    }()

    /// U+0000 is valid UTF-8 and valid protobuf, but protobuf-c's strings end at the first NUL:
    /// such a string must be refused, not cut short.
    static let nulInStrings: [MalformedInput] = [
        .init(
            "U+0000 inside a string",
            scalars,
            Wire.lengthDelimited(14, [0x61, 0x00, 0x62]),
            .unrepresentableString,
            field: "string_value"
        ),
        .init(
            "U+0000 inside a repeated string",
            repeateds,
            Wire.lengthDelimited(14, Array("ok".utf8)) + Wire.lengthDelimited(14, [0x00, 0x78]),
            .unrepresentableString,
            field: "string_values"
        ),
        .init(
            "U+0000 in a chat id",
            chat,
            Wire.lengthDelimited(1, Array("chat-1".utf8) + [0x00] + Array("-admin".utf8)),
            .unrepresentableString,
            field: "id"
        ),
    ]
}

extension MalformedInput {
    private static let timestamps = "baton.test.v1.Timestamps"

    /// A google.protobuf.Timestamp's body: `seconds` and `nanos` as the wire carries any int64 and
    /// int32 (negative numbers as ten-byte varints).
    static func timestamp(seconds: Int64, nanos: Int32 = 0) -> [UInt8] {
        Wire.varintField(1, UInt64(bitPattern: seconds)) + Wire.varintField(2, UInt64(bitPattern: Int64(nanos)))
    }

    /// Well-formed on the wire, but outside proto3's range: 0001-01-01T00:00:00Z to
    /// 9999-12-31T23:59:59.999999999Z, nanos 0 to 999,999,999. Refused wherever the field is.
    static let outOfRangeTimestamps: [MalformedInput] = {
        let seconds: [(String, Int64)] = [
            ("a second before 0001-01-01", -62_135_596_801),
            ("a second after 9999-12-31T23:59:59", 253_402_300_800),
            ("seconds 1e14", 100_000_000_000_000),
            ("seconds Int64.max", .max),
            ("seconds Int64.min", .min),
        ]
        let nanos: [(String, Int32)] = [
            ("nanos -1", -1),
            ("nanos 1e9", 1_000_000_000),
            ("nanos Int32.min", .min),
            ("nanos Int32.max", .max),
        ]
        let single =
            seconds.map { name, value in (name, timestamp(seconds: value)) }
            + nanos.map { name, value in (name, timestamp(seconds: 0, nanos: value)) }
        let inSingleField = single.map { name, body in
            MalformedInput(
                "timestamp out of range, \(name)",
                timestamps,
                Wire.lengthDelimited(1, body),
                .invalidFieldValue,
                field: "time"
            )
        }
        let bad = timestamp(seconds: 253_402_300_800)
        let elsewhere: [MalformedInput] = [
            .init(
                "timestamp out of range in the second element of a repeated field",
                timestamps,
                Wire.lengthDelimited(2, timestamp(seconds: 1)) + Wire.lengthDelimited(2, bad),
                .invalidFieldValue,
                field: "times"
            ),
            .init(
                "timestamp out of range as the whole message",
                Timestamp.protoMessageName,
                timestamp(seconds: 0, nanos: -1),
                .invalidFieldValue,
                in: Timestamp.protoMessageName
            ),
            .init(
                "timestamp out of range in a chat's created_at",
                chat,
                Wire.lengthDelimited(1, Array("chat-1".utf8)) + Wire.lengthDelimited(7, bad),
                .invalidFieldValue,
                field: "created_at"
            ),
            .init(
                "timestamp out of range in a transcript entry",
                chat,
                Wire.lengthDelimited(11, Wire.lengthDelimited(6, timestamp(seconds: .min))),
                .invalidFieldValue,
                field: "time",
                in: "baton.v1.TranscriptEntry"
            ),
        ]
        return inSingleField + elsewhere
    }()
}

/// Valid, non-trivial encodings for the types the malformed-input table uses.
private enum ValidSamples {
    static func bytes(of messageName: String) throws -> [UInt8] {
        switch messageName {
        case Scalars.protoMessageName:
            var message = Scalars()
            message.int32Value = -1
            message.stringValue = "still fine ✓"
            message.bytesValue = [0, 0xff]
            return try message.serializedBytes()
        case Repeateds.protoMessageName:
            var message = Repeateds()
            message.int32Values = [1, -2, 3]
            message.stringValues = ["a", "b"]
            var element = Scalars()
            element.stringValue = "élément"
            message.messageValues = [element]
            return try message.serializedBytes()
        case Nested.protoMessageName:
            var inner = Nested()
            inner.label = "inner"
            var outer = Nested()
            outer.child = inner
            outer.children = [inner, inner]
            return try outer.serializedBytes()
        case Choice.protoMessageName:
            var message = Choice()
            message.label = "label"
            message.pick = .textPick("picked")
            return try message.serializedBytes()
        case Timestamps.protoMessageName:
            var first = Timestamp()
            first.seconds = -62_135_596_800
            var last = Timestamp()
            last.seconds = 253_402_300_799
            last.nanos = 999_999_999
            var message = Timestamps()
            message.time = first
            message.times = [last, first]
            return try message.serializedBytes()
        case Timestamp.protoMessageName:
            var timestamp = Timestamp()
            timestamp.seconds = -1
            timestamp.nanos = 1
            return try timestamp.serializedBytes()
        case "baton.v1.Chat":
            var entry = Baton_V1_TranscriptEntry()
            entry.text = "Hello 👋"
            var chat = Baton_V1_Chat()
            chat.id = "chat-1"
            chat.ownerRepID = "rep-ana"
            chat.transcript = [entry]
            return try chat.serializedBytes()
        default:
            throw MissingSample(messageName: messageName)
        }
    }

    struct MissingSample: Error, CustomStringConvertible {
        let messageName: String
        var description: String { "no valid sample of \(messageName): add one to ValidSamples" }
    }
}

/// Protobuf wire bytes written by hand from the encoding rules, for input no encoder writes.
enum Wire {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
        /// Not a wire type: protobuf defines 0 to 5 only.
        case invalid6 = 6
        case invalid7 = 7
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    static func tag(_ field: UInt64, _ type: WireType) -> [UInt8] { varint(field << 3 | type.rawValue) }

    static func varintField(_ field: UInt64, _ value: UInt64) -> [UInt8] { tag(field, .varint) + varint(value) }

    static func lengthDelimited(_ field: UInt64, _ body: [UInt8]) -> [UInt8] {
        tag(field, .lengthDelimited) + varint(UInt64(body.count)) + body
    }

    /// Messages nested through `fields` (outermost first), the innermost empty, built without
    /// recursion so any depth is cheap.
    static func nesting(_ fields: [UInt64]) -> [UInt8] {
        // Sizes from the inside out: each level is its tag, its length and the level below.
        var sizes = [Int](repeating: 0, count: fields.count + 1)
        for level in stride(from: fields.count - 1, through: 0, by: -1) {
            let below = sizes[level + 1]
            sizes[level] = tag(fields[level], .lengthDelimited).count + varint(UInt64(below)).count + below
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sizes[0])
        for (level, field) in fields.enumerated() {
            bytes += tag(field, .lengthDelimited) + varint(UInt64(sizes[level + 1]))
        }
        return bytes
    }
}

/// A seeded random number generator (SplitMix64), so random inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
