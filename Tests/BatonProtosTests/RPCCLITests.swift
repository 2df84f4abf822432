import BatonProtos
import BatonTestSupport
import Foundation
import Testing

/// `rpc-cli encode` and `decode` as a shell user runs them: they agree with protoc, and bad
/// input ends the process with a documented exit code and one line on stderr, never a signal.
@Suite struct RPCCLITests {
    @Test(arguments: [
        "baton.v1.Chat", "baton.v1.TransferRequest", "baton.v1.Event", "baton.v1.Rep", "baton.rpc.v1.Trailers",
        "baton.test.v1.Scalars", "baton.test.v1.Timestamps",
    ])
    func decodeThenEncodeGivesBackProtocBytes(messageName: String) throws {
        let descriptor = try #require(ProtoMessageDescriptor.lookup(messageName))
        let protocBytes = try Protoc.encode(TextFormatSample.edge(descriptor), as: messageName)
        for flags in [[], ["--pretty"], ["--emit-defaults", "--proto-names"]] {
            let decoded = try RPCCLIExecutable.run(["decode", messageName] + flags, input: protocBytes)
            try decoded.expectSuccess()
            let encoded = try RPCCLIExecutable.run(["encode", messageName], input: decoded.standardOutput)
            try encoded.expectSuccess()
            #expect(encoded.standardOutput == protocBytes, "\(messageName) \(flags) via \(decoded.standardText)")
        }
    }

    @Test(arguments: [
        (
            "baton.v1.TransferRequest",
            """
            {"chatId": "chat-1", "actingRepId": "rep-ana", "target_rep_id": "rep-ben",
             "note": "Visitor asks about SSO pricing ✓", "mode": "TRANSFER_MODE_REQUEST",
             "onUnavailable": "UNAVAILABLE_ACTION_OFFER_SLOTS", "idempotencyKey": "k-1",
             "expectedVersion": {"value": "42"}, "requestTtlSeconds": 60, "maxSlots": 5}
            """,
            """
            chat_id: "chat-1" acting_rep_id: "rep-ana" target_rep_id: "rep-ben"
            note: "Visitor asks about SSO pricing ✓" mode: TRANSFER_MODE_REQUEST
            on_unavailable: UNAVAILABLE_ACTION_OFFER_SLOTS idempotency_key: "k-1"
            expected_version { value: 42 } request_ttl_seconds: 60 max_slots: 5
            """
        ),
        (
            "baton.v1.Chat",
            """
            {"id": "chat-1", "visitor": {"id": "v-1", "name": "Zoë 日本"}, "ownerRepId": "rep-ana",
             "state": "CHAT_STATE_ACTIVE", "version": "7", "createdAt": "2024-05-01T12:30:00.5Z",
             "transcript": [{"sequence": 1, "kind": "TRANSCRIPT_ENTRY_KIND_MESSAGE",
                             "visibility": "VISIBILITY_EVERYONE", "text": "Hi 👋\\n",
                             "time": "1970-01-01T00:00:00Z"}],
             "transcriptLength": "1"}
            """,
            """
            id: "chat-1" visitor { id: "v-1" name: "Zoë 日本" } owner_rep_id: "rep-ana"
            state: CHAT_STATE_ACTIVE version: 7 created_at { seconds: 1714566600 nanos: 500000000 }
            transcript { sequence: 1 kind: TRANSCRIPT_ENTRY_KIND_MESSAGE visibility: VISIBILITY_EVERYONE
                         text: "Hi 👋\\n" time { } }
            transcript_length: 1
            """
        ),
    ])
    func handWrittenJSONEncodesAsProtocEncodesTheSameMessage(messageName: String, json: String, text: String) throws {
        let encoded = try RPCCLIExecutable.run(["encode", messageName], input: Array(json.utf8))
        try encoded.expectSuccess()
        #expect(encoded.standardOutput == (try Protoc.encode(text, as: messageName)))
    }

    @Test(arguments: [
        ("baton.v1.Chat", #"{"version": "not a number"}"#, "version"),
        ("baton.v1.Chat", #"{"noSuchField": 1}"#, "noSuchField"),
        ("baton.v1.Chat", #"{"state": "CHAT_STATE_NO_SUCH_STATE"}"#, "state"),
        ("baton.v1.Chat", #"{"createdAt": "yesterday"}"#, "created_at"),
        ("baton.v1.Chat", #"{"transcript": [{"text": "ok"}, {"text": 1}]}"#, "text"),
        ("baton.v1.Chat", #"{"visitor": "v-1"}"#, "visitor"),
        ("baton.v1.TransferRequest", #"{"chatId": 7}"#, "chat_id"),
        ("baton.v1.TransferRequest", #"{"requestTtlSeconds": -1}"#, "request_ttl_seconds"),
        ("baton.v1.TransferRequest", #"{"maxSlots": 4294967296}"#, "max_slots"),
        ("baton.v1.TransferRequest", #"{"note": "a\u0000b"}"#, "note"),
    ])
    func badJSONExits65WithOneLineNamingTheField(messageName: String, json: String, field: String) throws {
        let result = try RPCCLIExecutable.run(["encode", messageName], input: Array(json.utf8))
        result.expectFailure(exitCode: 65)
        let camelCase = Self.camelCase(field)
        #expect(
            result.standardError.contains(field) || result.standardError.contains(camelCase),
            "stderr does not name \(field): \(result.standardError)"
        )
    }

    @Test(arguments: [
        #"{"id": "#,
        "not json",
        #"{"id": "chat-1"} trailing"#,
        "",
        "[]",
    ])
    func textThatIsNotAJSONObjectExits65(json: String) throws {
        let result = try RPCCLIExecutable.run(["encode", "baton.v1.Chat"], input: Array(json.utf8))
        result.expectFailure(exitCode: 65)
    }

    @Test func stdinThatIsNotUTF8Exits65() throws {
        let result = try RPCCLIExecutable.run(["encode", "baton.v1.Chat"], input: [0x7b, 0x22, 0xff, 0x22, 0x7d])
        result.expectFailure(exitCode: 65)
    }

    @Test(arguments: ["encode", "decode"])
    func unknownMessageNameExits64(command: String) throws {
        let result = try RPCCLIExecutable.run([command, "baton.v1.NoSuchMessage"], input: Array("{}".utf8))
        result.expectFailure(exitCode: 64)
        #expect(result.standardError.contains("baton.v1.NoSuchMessage"))
    }

    @Test func randomBytesToDecodeExitCleanlyAndAgreeWithTheLibrary() throws {
        var random = SplitMix64(seed: 0xBA70_0003)
        var failures = 0
        for _ in 0..<40 {
            let bytes = (0..<Int.random(in: 1...40, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            let result = try RPCCLIExecutable.run(["decode", "baton.v1.Chat"], input: bytes)
            let library = Result { () throws(ProtoCodecError) in
                try ProtoJSON.jsonFromBinary(bytes, messageName: "baton.v1.Chat")
            }
            switch library {
            case .success(let json):
                try result.expectSuccess()
                #expect(result.standardText == json + "\n")
            case .failure(let error):
                failures += 1
                result.expectFailure(exitCode: 65)
                #expect(result.standardError.contains(error.code.description), "\(result.standardError)")
            }
        }
        // Random bytes are almost never a valid Chat; make sure the failure path ran.
        #expect(failures > 20)
    }

    private static func camelCase(_ name: String) -> String {
        let parts = name.split(separator: "_")
        return (parts.first.map(String.init) ?? "")
            + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

/// The `rpc-cli` executable built beside the test bundle.
enum RPCCLIExecutable {
    static func run(_ arguments: [String], input: [UInt8]) throws -> ChildProcessResult {
        try ChildProcess.run(try BuiltProducts.executable("rpc-cli"), arguments, input: input)
    }
}

extension ChildProcessResult {
    func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(
            terminationReason == .exit && terminationStatus == 0,
            "rpc-cli failed (\(terminationReason == .exit ? "exit" : "signal") \(terminationStatus)): \(standardError)",
            sourceLocation: sourceLocation
        )
        #expect(standardError.isEmpty, sourceLocation: sourceLocation)
    }

    /// Exited (no signal) with `exitCode`, nothing on stdout, exactly one `rpc-cli: error:` line on stderr.
    func expectFailure(exitCode: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            terminationReason == .exit,
            "rpc-cli died of signal \(terminationStatus)",
            sourceLocation: sourceLocation
        )
        #expect(terminationStatus == exitCode, "stderr: \(standardError)", sourceLocation: sourceLocation)
        #expect(standardOutput.isEmpty, sourceLocation: sourceLocation)
        let lines = standardError.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "not one line: \(standardError)", sourceLocation: sourceLocation)
        #expect(standardError.hasPrefix("rpc-cli: error: "), "\(standardError)", sourceLocation: sourceLocation)
    }
}
