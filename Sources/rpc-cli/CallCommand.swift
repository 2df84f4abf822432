import ArgumentParser
import BatonProtos
import BatonRPC
import Foundation
import NIOCore

/// `rpc-cli call <Service/Method>`: calls any method with JSON in and JSON out.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a method with a JSON request and print the JSON response.",
        discussion: """
            The request is -d's JSON, or stdin when -d is absent. Streaming responses print one JSON \
            object per line as they arrive. Client- and bidirectional-streaming calls read one JSON \
            request per line from stdin (or take -d as the only request).
            Example: rpc-cli call baton.rpc.v1.Health/Check -d '{}'
            """
    )

    @Argument(help: "The method, as Service/Method (baton.v1.Chats/GetChat) or its path (/baton.v1.Chats/GetChat).")
    var method: String

    @Option(name: .shortAndLong, help: "The request as JSON.")
    var data: String?

    @Flag(help: "Indent the JSON output.")
    var pretty = false

    @Flag(help: "Also print fields that hold their default value.")
    var emitDefaults = false

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard let schema = BatonSchema.method(method) else {
            throw CLIFailure.unknownName("unknown method \(method); `rpc-cli list` shows what batond serves")
        }
        let requests = try requestMessages(for: schema)
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let call = try await CLIFailure.calling {
            try await client.makeCall(path: schema.path, metadata: try connection.metadata, timeout: connection.timeoutDuration)
        }
        let output = ProtoJSONEncodingOptions(emitDefaultValues: emitDefaults, prettyPrinted: pretty)
        try await CLIFailure.calling {
            for request in requests { try await call.send(ByteBuffer(bytes: request)) }
            call.closeSend()
            for try await response in call.responses {
                let json = try CLIFailure.mapping {
                    try ProtoJSON.jsonFromBinary(Array(buffer: response), messageName: schema.outputType, options: output)
                }
                // One write per message, unbuffered, so a pipe (`| jq`) sees each as it arrives.
                FileHandle.standardOutput.write(Data((json + "\n").utf8))
            }
        }
    }

    /// The request messages, encoded: one for unary and server-streaming methods, one per stdin
    /// line for client- and bidirectional-streaming ones.
    private func requestMessages(for schema: ProtoMethodSchema) throws -> [[UInt8]] {
        let streamsRequests = schema.kind == .clientStreaming || schema.kind == .bidirectionalStreaming
        let texts: [String]
        if let data {
            texts = [data]
        } else {
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            texts =
                streamsRequests
                ? input.split(separator: "\n").map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
                : [input.allSatisfy(\.isWhitespace) ? "{}" : input]
        }
        return try texts.map { text in
            try CLIFailure.mapping { try ProtoJSON.binaryFromJSON(text, messageName: schema.inputType) }
        }
    }
}
