import ArgumentParser
import BatonProtos
import BatonRPC

/// `rpc-cli list [service]`: the services and methods batond serves, from its reflection.
struct ListCommand: AsyncParsableCommand, FormatsItsErrors {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the services batond serves, with their methods' streaming kinds and message types.",
        discussion: "--format json prints the ListServicesResponse (with a service: only that service's entry)."
    )

    @Argument(help: "Only this service's methods (baton.v1.Chats).", completion: .list(BatonSchema.services.map(\.name)))
    var service: String?

    @OptionGroup var output: OutputOptions

    var errorFormat: OutputFormat? { output.format }

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var response = try await connection.withClient { client in
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
        if let service {
            let fullName = DescriptorSet.fullName(of: service)
            response.services = response.services.filter { $0.fullName == fullName }
            guard !response.services.isEmpty else {
                throw CLIFailure.unknownName("unknown service \(service); `rpc-cli list` shows what batond serves")
            }
        }
        // A listing is for reading and grep, piped or not: JSON only when asked.
        if output.format == .json {
            Terminal.printLine(
                try ProtoJSON.jsonFromBinary(
                    try response.serializedBytes(), messageName: Baton_Rpc_V1_ListServicesResponse.protoMessageName,
                    options: output.jsonOptions
                )
            )
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
