import ArgumentParser
import BatonProtos
import BatonRPC

/// `rpc-cli health [service]`: batond's health, like grpc-health-probe.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Print batond's health (SERVING, NOT_SERVING, ...); exits 0 only when SERVING."
    )

    @Argument(help: "A service name; empty for the server as a whole.")
    var service = ""

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var request = Baton_Rpc_V1_HealthCheckRequest()
        request.service = service
        let response = try await connection.withClient { client in
            try await CLIFailure.calling {
                try await client.unary(
                    "/baton.rpc.v1.Health/Check",
                    request,
                    as: Baton_Rpc_V1_HealthCheckResponse.self,
                    metadata: connection.metadata,
                    timeout: connection.timeoutDuration
                )
            }
        }
        let name = BatonSchemaNames.enumValueName(response.status.rawValue, in: "baton.rpc.v1.ServingStatus")
        Terminal.printLine(name.replacingOccurrences(of: "SERVING_STATUS_", with: ""))
        if response.status != .serving {
            throw CLIFailure.status(RPCError(.unavailable, "not serving"))
        }
    }
}

enum BatonSchemaNames {
    static func enumValueName(_ number: Int32, in enumName: String) -> String {
        ProtoEnumDescriptor.lookup(enumName)?.name(of: number) ?? String(number)
    }
}
