import ArgumentParser
import BatonProtos
import BatonRPC

/// `rpc-cli list`: the services and methods batond serves, from its reflection.
struct ListCommand: AsyncParsableCommand, FormatsItsErrors {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the services batond serves, with their methods' streaming kinds and message types."
    )

    @Option(help: "text (default) or json: the ListServicesResponse as JSON.")
    var format: OutputFormat = .text

    var errorFormat: OutputFormat? { format }

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let response = try await connection.withClient { client in
            try await CLIFailure.calling {
                try await client.unary(
                    "/baton.rpc.v1.Reflection/ListServices",
                    Baton_Rpc_V1_ListServicesRequest(),
                    as: Baton_Rpc_V1_ListServicesResponse.self,
                    metadata: connection.metadata,
                    timeout: connection.timeoutDuration
                )
            }
        }
        if format == .json {
            Terminal.printLine(try ProtoJSON.jsonFromBinary(try response.serializedBytes(), messageName: Baton_Rpc_V1_ListServicesResponse.protoMessageName))
            return
        }
        for service in response.services.sorted(by: { $0.fullName < $1.fullName }) {
            Terminal.printLine(service.fullName)
            for method in service.methods {
                Terminal.printLine("  \(method.name) (\(kindName(method.streamingKind))): \(method.inputType) -> \(method.outputType)")
            }
        }
    }

    private func kindName(_ kind: Baton_Rpc_V1_StreamingKind) -> String {
        switch kind {
        case .unary: "unary"
        case .serverStreaming: "server streaming"
        case .clientStreaming: "client streaming"
        case .bidiStreaming: "bidirectional streaming"
        default: "unknown"
        }
    }
}
