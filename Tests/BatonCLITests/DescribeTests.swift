import BatonProtos
import BatonTestSupport
import Foundation
import Testing

@testable import rpc_cli

/// `rpc-cli describe`: the schema as .proto text with the comments of Protos/, from batond's
/// reflection or, when batond is not there, from the schema rpc-cli was built with.
@Suite struct DescribeTests {
    /// A socket nobody serves, so rpc-cli falls back to its built-in schema.
    static let unreachableSocket = "/tmp/baton-no-such-folder/batond.sock"

    @Test("a service shows its comment and every method with its comment and signature")
    func describesService() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", "baton.v1.Chats"], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            let text = result.standardText
            let chats = try #require(BatonSchema.services.first { $0.name == "baton.v1.Chats" })
            #expect(
                text.hasPrefix("baton.v1.Chats is a service:\n" + commentLines(chats.comment) + "service Chats {\n")
            )
            for method in chats.methods {
                let signature = "  rpc \(method.name) ( .\(method.inputType) ) returns ( .\(method.outputType) );\n"
                #expect(text.contains(commentLines(method.comment, indent: "  ") + signature), "\(method.name)")
            }
        }
    }

    @Test(
        "a method shows its comment and signature, however it is spelled",
        arguments: ["baton.v1.Chats/TransferChat", "baton.v1.Chats.TransferChat", "/baton.v1.Chats/TransferChat"]
    )
    func describesMethod(spelling: String) async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", spelling], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            let method = try #require(BatonSchema.method("baton.v1.Chats/TransferChat"))
            #expect(
                result.standardText
                    == "baton.v1.Chats.TransferChat is a method:\n" + commentLines(method.comment)
                    + "rpc TransferChat ( .baton.v1.TransferRequest ) returns ( .baton.v1.TransferChatResponse );\n"
            )
        }
    }

    @Test("a message shows every field with the comments written in its .proto file")
    func describesMessage() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", "baton.v1.TransferRequest"], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            let text = result.standardText
            let declaration = try protoDeclaration("message TransferRequest", in: "baton/v1/transfers.proto")
            let commentsInProto = declaration.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            let commentsShown = text.split(separator: "\n").filter {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("//")
            }
            #expect(commentsShown.map(String.init) == commentsInProto)
            #expect(
                text.contains("  // DIRECT or REQUEST. UNSPECIFIED means DIRECT.\n  .baton.v1.TransferMode mode = 6;\n")
            )
            #expect(text.contains("  uint32 request_ttl_seconds = 10;\n"))
        }
    }

    @Test("a message shows repeated fields, timestamps and oneofs with their comments")
    func describesLabelsAndOneofs() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", "baton.v1.Event"], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            let text = result.standardText
            #expect(text.contains("\n  repeated string rep_ids = 8;\n"))
            #expect(text.contains("\n  .google.protobuf.Timestamp time = 2;\n"))
            #expect(
                text.contains(
                    """
                      // The details of the change, one member per EventKind.
                      oneof payload {
                        // Set for EVENT_KIND_CHAT_STARTED.
                        .baton.v1.ChatStarted chat_started = 10;

                    """
                )
            )
        }
    }

    @Test("an enum reads as its declaration in the .proto file")
    func describesEnum() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", "baton.v1.TransferMode"], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            let declaration = try protoDeclaration("enum TransferMode", in: "baton/v1/transfers.proto")
            #expect(
                result.standardText == "baton.v1.TransferMode is an enum:\n" + declaration.joined(separator: "\n")
                    + "\n"
            )
        }
    }

    @Test("every streaming kind shows `stream` on the side that streams")
    func rendersStreamingKinds() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", "baton.test.v1.TestService"], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            let (request, response) = (".baton.test.v1.EchoRequest", ".baton.test.v1.EchoResponse")
            for signature in [
                "rpc Unary ( \(request) ) returns ( \(response) );",
                "rpc ServerStream ( \(request) ) returns ( stream \(response) );",
                "rpc ClientStream ( stream \(request) ) returns ( \(response) );",
                "rpc Bidi ( stream \(request) ) returns ( stream \(response) );",
            ] {
                #expect(result.standardText.contains("  \(signature)\n"), "\(signature)")
            }
            let watch = try RPCCLI.run(["describe", "baton.v1.Events/Watch"], socket: batond.socketPath)
            #expect(
                watch.standardText.contains(
                    "rpc Watch ( .baton.v1.WatchRequest ) returns ( stream .baton.v1.Event );\n"
                )
            )
        }
    }

    @Test(
        "an unknown symbol exits 64 with one line pointing at list and describe",
        arguments: ["baton.v1.NoSuchMessage", "baton.v1.Chats/NoSuchMethod", "baton.v1.Chat.owner_rep_id"]
    )
    func unknownSymbolExits64(symbol: String) async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", symbol], socket: batond.socketPath)
            #expect(result.exited(with: 64), "\(result.terminationStatus) \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
            let lines = result.standardError.split(separator: "\n")
            #expect(lines.count == 1, "\(result.standardError)")
            #expect(result.standardError.contains(symbol))
            #expect(result.standardError.contains("rpc-cli list"))
            #expect(result.standardError.contains("rpc-cli describe"))
        }
    }

    @Test("without batond, the built-in schema is described the same, with one note on stderr")
    func fallsBackToBuiltInSchema() async throws {
        let arguments: [[String]] = [
            ["describe"], ["describe", "baton.v1.Chats"], ["describe", "baton.v1.Chats/TransferChat"],
            ["describe", "baton.v1.Event"], ["describe", "baton.v1.TransferMode"],
            ["describe", "--template", "baton.v1.Chats/TransferChat"],
        ]
        try await BatondProcess.with(["--demo"]) { batond in
            for argument in arguments {
                let live = try RPCCLI.run(argument, socket: batond.socketPath)
                let builtIn = try RPCCLI.run(argument, socket: Self.unreachableSocket)
                #expect(live.exited(with: 0) && builtIn.exited(with: 0), "\(argument): \(builtIn.standardError)")
                #expect(!live.standardOutput.isEmpty)
                #expect(builtIn.standardText == live.standardText, "\(argument)")
                #expect(live.standardError.isEmpty)
                let note = builtIn.standardError.split(separator: "\n")
                #expect(note.count == 1, "\(builtIn.standardError)")
                #expect(builtIn.standardError.contains("built-in schema"))
                #expect(builtIn.standardError.contains(Self.unreachableSocket))
            }
        }
    }

    @Test("without a symbol, every service is described with its methods")
    func describesEveryService() throws {
        let result = try RPCCLI.run(["describe"], socket: Self.unreachableSocket)
        #expect(result.exited(with: 0), "\(result.standardError)")
        for service in BatonSchema.services {
            #expect(result.standardText.contains("\(service.name) is a service:\n"))
            for method in service.methods {
                #expect(result.standardText.contains("  rpc \(method.name) ( "), "\(method.path)")
            }
        }
    }

    @Test("--template prints a request for a method that `call` accepts, and refuses services")
    func templateFromTheCommandLine() throws {
        let result = try RPCCLI.run(
            ["describe", "--template", "baton.v1.Chats/TransferChat"],
            socket: Self.unreachableSocket
        )
        #expect(result.exited(with: 0), "\(result.standardError)")
        #expect(result.standardText == (try RequestTemplate.json(forMethod: "/baton.v1.Chats/TransferChat")) + "\n")
        #expect(result.standardText.contains("  \"mode\": \"TRANSFER_MODE_UNSPECIFIED\",\n"))
        // A guard on version 0 would make the filled-in template fail with ABORTED.
        #expect(!result.standardText.contains("expectedVersion"))
        let encoded = try RPCCLI.run(
            ["encode", "baton.v1.TransferRequest"],
            socket: Self.unreachableSocket,
            input: result.standardText
        )
        #expect(encoded.exited(with: 0), "\(encoded.standardError)")

        let service = try RPCCLI.run(["describe", "--template", "baton.v1.Chats"], socket: Self.unreachableSocket)
        #expect(service.exited(with: 64), "\(service.terminationStatus) \(service.standardError)")
    }

    @Test(
        "the request template of every method is accepted by the JSON decoder",
        arguments: BatonSchema.services.flatMap(\.methods)
    )
    func everyMethodTemplateDecodes(method: ProtoMethodSchema) throws {
        let json = try RequestTemplate.json(forMethod: method.path)
        #expect(throws: Never.self, "\(method.path): \(json)") {
            try ProtoJSON.binaryFromJSON(json, messageName: method.inputType)
        }
    }

    @Test("templates fill every field, one member per oneof, and cut recursion off")
    func templateShapes() throws {
        let schema = try SchemaSource.builtIn()
        let scalars = try RequestTemplate.json(forMessage: "baton.test.v1.Scalars", in: schema)
        #expect(scalars.contains("\"int64Value\": \"0\""))
        #expect(scalars.contains("\"int32Value\": 0"))
        #expect(scalars.contains("\"boolValue\": false"))
        #expect(scalars.contains("\"enumValue\": \"TEST_ENUM_UNSPECIFIED\""))
        let choice = try RequestTemplate.json(forMessage: "baton.test.v1.Choice", in: schema)
        #expect(choice == "{\n  \"label\": \"\",\n  \"textPick\": \"\",\n  \"trailer\": 0\n}")
        let nested = try RequestTemplate.json(forMessage: "baton.test.v1.Nested", in: schema)
        #expect(nested == "{\n  \"child\": {},\n  \"label\": \"\",\n  \"children\": [\n    {}\n  ]\n}")

        for message in schema.messages.values where !message.isMapEntry {
            let json = try RequestTemplate.json(forMessage: message.fullName, in: schema)
            #expect(throws: Never.self, "\(message.fullName): \(json)") {
                try ProtoJSON.binaryFromJSON(json, messageName: message.fullName)
            }
        }
    }

    @Test("an unknown method has no template")
    func unknownMethodTemplate() throws {
        let error = #expect(throws: CLIFailure.self) {
            try RequestTemplate.json(forMethod: "baton.v1.Chats/NoSuchMethod")
        }
        guard case .unknownName(let message) = try #require(error) else {
            Issue.record("expected unknownName, got \(String(describing: error))")
            return
        }
        #expect(message.contains("rpc-cli list"))
    }

    @Test("cut-off descriptor bytes are an error, never a crash")
    func truncatedDescriptorSetThrows() throws {
        let set = BatonSchema.fileDescriptorSet
        let firstFile = try #require(BatonSchema.fileDescriptorProtos.first)
        // Any cut inside the first file leaves a length prefix that promises more than is left.
        for length in stride(from: 1, to: firstFile.count, by: 7) {
            #expect(throws: MalformedDescriptorSet.self, "cut at \(length)") {
                try DescriptorSet(serialized: Array(set.prefix(length)))
            }
        }
    }

    @Test(
        "malformed descriptor bytes are an error naming what is wrong",
        arguments: [
            (DescriptorBytes.field(1, [0x0a, 0x05, 0x61]), "longer"),
            ([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "varint"),
            ([0x0b], "wire type"),
            (DescriptorBytes.file(message: DescriptorBytes.field(1, [0xc3, 0x28])), "UTF-8"),
            (
                DescriptorBytes.file(
                    message: DescriptorBytes.field(1, Array("M".utf8))
                        + DescriptorBytes.field(2, DescriptorBytes.field(1, Array("f".utf8)) + [0x28, 99])
                ), "type 99"
            ),
        ] as [([UInt8], String)]
    )
    func malformedDescriptorSetThrows(bytes: [UInt8], reason: String) throws {
        let error = #expect(throws: MalformedDescriptorSet.self) {
            try DescriptorSet(serialized: bytes)
        }
        #expect(try #require(error).description.contains(reason), "\(String(describing: error))")
    }

    @Test("messages nested without bound are an error, not a stack overflow")
    func deepNestingThrows() throws {
        let error = #expect(throws: MalformedDescriptorSet.self) {
            try DescriptorSet(serialized: DescriptorBytes.file(message: DescriptorBytes.nestedMessages(depth: 1_000)))
        }
        #expect(try #require(error).description.contains("nest"), "\(String(describing: error))")
    }

    @Test("a descriptor set without source info still decodes, with empty comments")
    func decodesWithoutComments() throws {
        let fieldBytes = DescriptorBytes.field(1, Array("id".utf8)) + [0x18, 1, 0x28, 9]
        let message = DescriptorBytes.field(1, Array("Thing".utf8)) + DescriptorBytes.field(2, fieldBytes)
        let file = DescriptorBytes.field(2, Array("demo".utf8)) + DescriptorBytes.field(4, message) + [0xf8, 0x07, 1]
        let schema = try DescriptorSet(serialized: DescriptorBytes.field(1, file))
        let thing = try #require(schema.messages["demo.Thing"])
        #expect(thing.comment.isEmpty)
        #expect(thing.fields.map(\.jsonName) == ["id"])
        #expect(try RequestTemplate.json(forMessage: "demo.Thing", in: schema) == "{\n  \"id\": \"\"\n}")
    }
}

/// Hand-made descriptor.proto bytes for the decoder's failure cases.
enum DescriptorBytes {
    /// A length-delimited field.
    static func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [number << 3 | 2] + varint(payload.count) + payload
    }

    /// A FileDescriptorSet of one file holding one DescriptorProto.
    static func file(message: [UInt8]) -> [UInt8] {
        field(1, field(4, message))
    }

    /// DescriptorProtos nested `depth` deep through nested_type (3).
    static func nestedMessages(depth: Int) -> [UInt8] {
        var message = field(1, Array("M".utf8))
        for _ in 0..<depth { message = field(1, Array("M".utf8)) + field(3, message) }
        return message
    }

    private static func varint(_ value: Int) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }
}

/// A comment as `describe` prints it: each line after `// `, then a line break.
private func commentLines(_ comment: String, indent: String = "") -> String {
    guard !comment.isEmpty else { return "" }
    return comment.split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.isEmpty ? indent + "//\n" : indent + "// \($0)\n" }.joined()
}

/// A top-level declaration of a file under Protos/, as written: the comment above it, then its
/// lines up to the closing brace.
private func protoDeclaration(_ opening: String, in file: String) throws -> [String] {
    let url = BuiltProducts.repositoryRoot.appending(path: "Protos/\(file)")
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init)
    let start = try #require(lines.firstIndex(of: opening + " {"))
    let end = try #require(lines[start...].firstIndex(of: "}"))
    var commentStart = start
    while commentStart > 0, lines[commentStart - 1].hasPrefix("//") { commentStart -= 1 }
    return Array(lines[commentStart...end])
}
