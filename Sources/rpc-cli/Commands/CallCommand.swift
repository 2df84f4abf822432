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
            The request is -d's JSON, or stdin, read to its end before connecting, when -d is absent \
            (an empty request when stdin is a terminal). Streaming responses print one JSON \
            object per line as they arrive. Client- and bidirectional-streaming calls read one JSON \
            request per line from stdin (or take -d as the only request); a bidirectional call prints \
            responses while it still reads requests.
            Example: rpc-cli call baton.v1.Chats/ListTransferTargets -d '{"chatId":"chat-1"}'
            """
    )

    @Argument(
        help: "The method, as Service/Method (baton.v1.Chats/GetChat) or its path (/baton.v1.Chats/GetChat).",
        completion: .list(BatonSchema.services.flatMap { $0.methods.map { "\($0.service)/\($0.name)" } })
    )
    var method: String

    @Option(name: .shortAndLong, help: "The request as JSON.")
    var data: String?

    @Flag(help: "Print an example request for the method (every field, placeholder values) instead of calling it.")
    var template = false

    @Flag(name: .shortAndLong, help: "Show the request and response metadata (headers, trailers) and the status on stderr.")
    var verbose = false

    @OptionGroup var output: OutputOptions

    var errorFormat: OutputFormat? { output.format }
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard let schema = BatonSchema.method(method) else {
            throw CLIFailure.unknownName("unknown method \(method); `rpc-cli list` shows what batond serves")
        }
        if template {
            Terminal.printLine(try RequestTemplate.json(forMethod: schema.path))
            return
        }
        let requests = try requestSource(for: schema)
        try await connection.withClient { client in try await call(schema, requests, on: client) }
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
            // A request line that is not valid JSON cancelled the call: that is the error to report.
            if case .failure(let failure as CLIFailure) = await sender.result { throw failure }
            report.finished(sent: nil, trailers: error.metadata, error: error)
            throw CLIFailure.status(error)
        }
    }

    private func requestSource(for schema: ProtoMethodSchema) throws -> RequestSource {
        let streamsRequests = schema.kind == .clientStreaming || schema.kind == .bidirectionalStreaming
        if let data {
            return .messages([try encode(data, schema)])
        }
        if streamsRequests {
            return .lines { line in try encode(line, schema) }
        }
        // Nobody types a whole JSON request at a terminal and presses Ctrl-D: without -d or a
        // pipe, the request is empty, as with grpcurl.
        guard isatty(STDIN_FILENO) == 0 else { return .messages([try encode("{}", schema)]) }
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        return .messages([try encode(input.allSatisfy(\.isWhitespace) ? "{}" : input, schema)])
    }

    private func encode(_ json: String, _ schema: ProtoMethodSchema) throws -> [UInt8] {
        try CLIFailure.mapping { try ProtoJSON.binaryFromJSON(json, messageName: schema.inputType) }
    }
}

/// Where a call's request messages come from.
enum RequestSource: Sendable {
    /// Already encoded (from -d, or stdin read whole for a single-request method).
    case messages([[UInt8]])
    /// One JSON message per stdin line, encoded and sent as each line arrives.
    case lines(@Sendable (String) throws -> [UInt8])

    /// Sends every request, then half-closes; returns how many were sent.
    func send(on call: RPCClientCall) async throws -> Int {
        var count = 0
        switch self {
        case .messages(let messages):
            for message in messages {
                try await call.send(ByteBuffer(bytes: message))
                count += 1
            }
        case .lines(let encode):
            for await line in StandardInputLines.stream() where !line.allSatisfy(\.isWhitespace) {
                let message: [UInt8]
                do {
                    message = try encode(line)
                } catch {
                    // A bad line ends the call: the server must not act on a stream cut short.
                    call.cancel()
                    throw error
                }
                try await call.send(ByteBuffer(bytes: message))
                count += 1
            }
        }
        call.closeSend()
        return count
    }
}

/// stdin's lines as they are typed or piped, read on a thread of their own: a blocking read
/// must not hold one of the few threads Swift's concurrency runs on.
enum StandardInputLines {
    static func stream() -> AsyncStream<String> {
        AsyncStream { continuation in
            let reader = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
            reader.start()
        }
    }
}
