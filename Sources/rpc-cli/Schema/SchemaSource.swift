import BatonProtos
import BatonRPC

/// Where the schema `describe` shows comes from: batond's reflection when it can be reached,
/// else the schema compiled into rpc-cli. Both are FileDescriptorSet bytes, decoded the same way.
enum SchemaSource {
    /// The schema compiled into rpc-cli, as reflection would serve it.
    static func builtIn() throws -> DescriptorSet {
        do {
            return try DescriptorSet(serialized: BatonSchema.fileDescriptorSet)
        } catch {
            throw CLIFailure.badInput("the built-in schema: \(error)")
        }
    }

    /// The files defining `symbol` (every file when nil), from batond's Reflection/GetSchema; the
    /// built-in schema, with a note on stderr, when batond cannot be reached.
    static func schema(defining symbol: String?, connection: ConnectionOptions) async throws -> DescriptorSet {
        let client: RPCClient
        do {
            client = try await connection.connect()
        } catch CLIFailure.unreachable {
            Terminal.printError(
                "rpc-cli: note: batond is not reachable at \(connection.socketPath); describing the built-in schema"
            )
            return try builtIn()
        }
        var request = Baton_Rpc_V1_GetSchemaRequest()
        request.symbols = symbol.map { [DescriptorSet.fullName(of: $0)] } ?? []
        let response: Baton_Rpc_V1_GetSchemaResponse
        do {
            response = try await ConnectionOptions.closing(client) { client in
                try await client.unary(
                    "/baton.rpc.v1.Reflection/GetSchema",
                    request,
                    as: Baton_Rpc_V1_GetSchemaResponse.self,
                    metadata: connection.metadata,
                    timeout: connection.timeoutDuration
                )
            }
        } catch let error as RPCError where error.code == .notFound {
            throw unknownSymbol(symbol ?? "")
        } catch let error as RPCError {
            throw CLIFailure.status(error)
        }
        do {
            return try DescriptorSet(serialized: response.fileDescriptorSet)
        } catch {
            throw CLIFailure.badInput("batond's schema: \(error)")
        }
    }

    /// The failure for a name that is no service, method, message or enum of the schema.
    static func unknownSymbol(_ name: String) -> CLIFailure {
        .unknownName("unknown symbol \(name); `rpc-cli list` shows the services and `rpc-cli describe` all of them")
    }
}
