import ArgumentParser
import BatonProtos
import BatonRPC
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// `rpc-cli call <Service/Method>`: calls any method with JSON in and JSON (or tables) out.
struct CallCommand: AsyncParsableCommand, FormatsItsErrors {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a method with a JSON request and print the response.",
        discussion: """
            The request is -d's JSON, -d @FILE's, or stdin's (-d @-, or no -d when stdin is not a \
            terminal; an empty request when it is). Streaming responses print one JSON object per \
            line as they arrive. Client- and bidirectional-streaming calls read their requests as \
            JSON objects one after another, separated by whitespace or not, on one line or many, \
            from stdin or -d; a bidirectional call prints responses while it still reads requests.
            Example: rpc-cli call baton.v1.Chats.ListTransferTargets -d '{"chatId":"chat-1"}'
            """
    )

    @Argument(
        help: "The method, as Service/Method (baton.v1.Chats/GetChat), Service.Method or its path (/baton.v1.Chats/GetChat).",
        completion: .list(BatonSchema.services.flatMap { $0.methods.map { "\($0.service)/\($0.name)" } })
    )
    var method: String

    @Option(name: .shortAndLong, help: "The request as JSON, @FILE to read it from a file, or @- from stdin.")
    var data: String?

    @Flag(help: "Print an example request for the method (every field, placeholder values) instead of calling it.")
    var template = false

    @Flag(name: .shortAndLong, help: "Show the request and response metadata (headers, trailers) and the status on stderr.")
    var verbose = false

    @OptionGroup var output: OutputOptions

    var errorFormat: OutputFormat? { output.format }
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        if template {
            Terminal.printLine(try RequestTemplate.json(forMethod: method))
            return
        }
        try await connection.withClient { client in
            let schema = try await MethodCatalog.served(by: client, connection: connection).method(named: method)
            try await call(schema, try await requestSource(for: schema), on: client)
        }
    }

    /// Makes the call, streaming `requests` out while printing the responses as they come.
    private func call(_ schema: ProtoMethodSchema, _ requests: RequestSource, on client: RPCClient) async throws {
        let metadata = connection.metadata
        let report = CallReport(enabled: verbose, method: schema)
        report.started(metadata: metadata)
        let printer = ResponsePrinter(messageName: schema.outputType, output: output)
        let call: RPCClientCall
        do {
            call = try await client.makeCall(path: schema.path, metadata: metadata, timeout: connection.timeoutDuration)
        } catch let error as RPCError {
            report.finished(sent: nil, trailers: error.metadata, error: error)
            throw CLIFailure.status(error)
        }
        // Requests go out while responses come in: a bidirectional call may answer before stdin
        // ends, and waiting for all of stdin first would hide that.
        let sender = Task { try await requests.send(on: call) }
        do {
            for try await response in call.responses {
                await report.received(on: call)
                try printer.print(Array(buffer: response))
            }
            let trailers = try await call.trailingMetadata()
            // The call is over: stop reading stdin if the server answered before it ended.
            sender.cancel()
            report.finished(sent: try? await sender.value, trailers: trailers, error: nil)
        } catch let error as RPCError {
            sender.cancel()
            // A request that is not valid JSON cancelled the call: that is the error to report.
            if case .failure(let failure as CLIFailure) = await sender.result { throw failure }
            report.finished(sent: nil, trailers: error.metadata, error: error)
            throw CLIFailure.status(error)
        }
    }

    private func requestSource(for schema: ProtoMethodSchema) async throws -> RequestSource {
        let streamsRequests = schema.kind == .clientStreaming || schema.kind == .bidirectionalStreaming
        let encode: @Sendable (JSONValueSplitter.Value) throws -> [UInt8] = { value in
            try Self.encode(value, schema)
        }
        let text: String
        switch RequestData(data) {
        case .standardInput where streamsRequests, .none where streamsRequests:
            return .standardInput(encode)
        case .none where isatty(STDIN_FILENO) != 0:
            // Nobody types a whole JSON request at a terminal and presses Ctrl-D: without -d or a
            // pipe, the request is empty, as with grpcurl.
            return .messages([try encode(.empty)])
        case .none, .standardInput:
            text = try await StandardInput.text()
        case .text(let given):
            text = given
        case .file(let path):
            text = try RequestData.read(path)
        }
        return .messages(try (streamsRequests ? JSONValueSplitter.values(of: text) : single(text, schema)).map(encode))
    }

    /// The one request of a method that takes one: blank input is the empty request.
    private func single(_ text: String, _ schema: ProtoMethodSchema) throws -> [JSONValueSplitter.Value] {
        let values: [JSONValueSplitter.Value]
        do {
            values = try JSONValueSplitter.values(of: text)
        } catch {
            // Not a sequence of objects: the JSON parser says what is wrong with it, and where.
            return [JSONValueSplitter.Value(text: text, line: 1, column: 1)]
        }
        guard values.count <= 1 else {
            throw CLIFailure.badInput(
                "\(schema.service)/\(schema.name) takes one request; the input holds \(values.count) (the second at \(values[1].position))"
            )
        }
        return values.isEmpty ? [.empty] : values
    }

    private static func encode(_ value: JSONValueSplitter.Value, _ schema: ProtoMethodSchema) throws -> [UInt8] {
        do {
            return try CLIFailure.mapping { try ProtoJSON.binaryFromJSON(value.text, messageName: schema.inputType) }
        } catch CLIFailure.badInput(let reason) where value.line > 1 || value.column > 1 {
            throw CLIFailure.badInput("the request at \(value.position): \(reason)")
        }
    }
}

/// Where a call's request messages come from.
enum RequestSource: Sendable {
    /// Already encoded (from -d, a file, or stdin read whole for a single-request method).
    case messages([[UInt8]])
    /// JSON objects read from stdin, each encoded and sent as soon as it is complete.
    case standardInput(@Sendable (JSONValueSplitter.Value) throws -> [UInt8])

    /// Sends every request, then half-closes; returns how many were sent.
    func send(on call: RPCClientCall) async throws -> Int {
        var count = 0
        switch self {
        case .messages(let messages):
            for message in messages {
                try await call.send(ByteBuffer(bytes: message))
                count += 1
            }
        case .standardInput(let encode):
            do {
                for try await value in StandardInput.Values() {
                    try await call.send(ByteBuffer(bytes: try encode(value)))
                    count += 1
                }
            } catch let failure as CLIFailure {
                // Bad input ends the call: the server must not act on a stream cut short.
                call.cancel()
                throw failure
            }
        }
        call.closeSend()
        return count
    }
}
