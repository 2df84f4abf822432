import ArgumentParser
import BatonProtos

/// `rpc-cli describe [symbol]`: a service, method, message or enum as .proto text with its
/// comments, like `grpcurl describe`; or, with `--template`, example JSON to call a method with.
struct DescribeCommand: AsyncParsableCommand, FormatsItsErrors {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Print a service, method, message or enum of the schema with its documentation.",
        discussion: """
            Without a symbol, prints every service with its methods. The schema comes from batond's \
            reflection; when batond cannot be reached, rpc-cli describes the schema it was built with \
            and says so on stderr.
            --format json prints the same as JSON objects ({"kind":"method","fullName":…}; without a \
            symbol, {"services":[…]}).
            Examples: rpc-cli describe baton.v1.Chats/TransferChat; rpc-cli describe baton.v1.TransferMode; \
            rpc-cli describe --template baton.v1.Chats/TransferChat > request.json
            """
    )

    @Argument(
        help: """
            A service (baton.v1.Chats), method (baton.v1.Chats/TransferChat or baton.v1.Chats.TransferChat), \
            message (baton.v1.TransferRequest) or enum (baton.v1.TransferMode).
            """,
        completion: .list(DescribeCommand.builtInSymbols)
    )
    var symbol: String?

    @Flag(help: "Print example JSON instead: a method's request, or the message itself, every field filled.")
    var template = false

    @OptionGroup var output: OutputOptions

    var errorFormat: OutputFormat? { output.format }
    @OptionGroup var connection: ConnectionOptions

    /// Services, methods and messages of the schema rpc-cli was built with, for shell completion.
    static var builtInSymbols: [String] {
        BatonSchema.services.flatMap { service in [service.name] + service.methods.map { "\(service.name)/\($0.name)" } }
            + BatonSchema.messageTypes.map { $0.protoMessageName }
    }

    func validate() throws {
        if template && symbol == nil {
            throw ValidationError("--template needs a method or a message")
        }
    }

    func run() async throws {
        let schema = try await SchemaSource.schema(defining: symbol, connection: connection)
        // A description is for reading, piped or not: JSON only when asked.
        let json = output.format == .json
        guard let symbol else {
            Terminal.printLine(
                json ? SchemaJSON.describeServices(in: schema, prettyPrinted: output.pretty) : SchemaText.describeServices(in: schema)
            )
            return
        }
        guard let found = schema.symbol(named: symbol) else { throw SchemaSource.unknownSymbol(symbol) }
        guard template else {
            Terminal.printLine(
                json ? SchemaJSON.describe(found, in: schema, prettyPrinted: output.pretty) : SchemaText.describe(found, in: schema)
            )
            return
        }
        switch found {
        case .method(let method): Terminal.printLine(try RequestTemplate.json(forMessage: method.inputType, in: schema))
        case .message(let message): Terminal.printLine(try RequestTemplate.json(forMessage: message.fullName, in: schema))
        case .service, .enumeration:
            throw ValidationError("--template takes a method or a message; \(symbol) is neither")
        }
    }
}
