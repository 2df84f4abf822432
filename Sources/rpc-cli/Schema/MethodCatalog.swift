import BatonProtos
import BatonRPC

/// Where rpc-cli finds the methods it names: batond's reflection (so a newer batond's methods
/// can be called), else the schema rpc-cli was built with. The one place a method or service is
/// looked up, so a different source of descriptors replaces both at once.
struct MethodCatalog {
    /// Every service with its methods.
    let services: [ProtoServiceSchema]
    /// False when the services are rpc-cli's own because batond offers no reflection.
    let isFromServer: Bool

    /// The schema rpc-cli was built with.
    static let builtIn = MethodCatalog(services: BatonSchema.services, isFromServer: false)

    /// What `client`'s batond serves, from Reflection/ListServices; the built-in schema when
    /// batond has no reflection (UNIMPLEMENTED).
    static func served(by client: RPCClient, connection: ConnectionOptions) async throws -> MethodCatalog {
        let response: Baton_Rpc_V1_ListServicesResponse
        do {
            response = try await client.unary(
                "/baton.rpc.v1.Reflection/ListServices",
                Baton_Rpc_V1_ListServicesRequest(),
                as: Baton_Rpc_V1_ListServicesResponse.self,
                metadata: connection.metadata,
                timeout: connection.timeoutDuration
            )
        } catch let error as RPCError where error.code == .unimplemented {
            return builtIn
        } catch let error as RPCError {
            throw CLIFailure.status(error)
        }
        let services = response.services.map { service in
            ProtoServiceSchema(
                name: service.fullName,
                methods: service.methods.compactMap { method in
                    kind(of: method.streamingKind).map {
                        ProtoMethodSchema(
                            name: method.name, service: service.fullName, inputType: Self.bare(method.inputType),
                            outputType: Self.bare(method.outputType), kind: $0
                        )
                    }
                }
            )
        }
        return MethodCatalog(services: services, isFromServer: true)
    }

    /// A method written `Service/Method`, `Service.Method` or as its path (`/baton.v1.Chats/GetChat`).
    func method(named name: String) throws -> ProtoMethodSchema {
        let fullName = DescriptorSet.fullName(of: name)
        guard let method = services.lazy.flatMap(\.methods).first(where: { "\($0.service).\($0.name)" == fullName }) else {
            throw CLIFailure.unknownName("unknown method \(name); `rpc-cli list` shows what batond serves")
        }
        return method
    }

    private static func kind(of kind: Baton_Rpc_V1_StreamingKind) -> ProtoMethodKind? {
        switch kind {
        case .unary: .unary
        case .serverStreaming: .serverStreaming
        case .clientStreaming: .clientStreaming
        case .bidiStreaming: .bidirectionalStreaming
        default: nil
        }
    }

    /// A type name without the leading dot descriptors may spell it with.
    private static func bare(_ typeName: String) -> String {
        typeName.hasPrefix(".") ? String(typeName.dropFirst()) : typeName
    }
}
