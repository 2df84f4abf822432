import BatonProtos

/// `baton.rpc.v1.Reflection`: the services a server offers, their methods with streaming kinds
/// and message types, and the schema itself as a FileDescriptorSet, so a client in any language
/// can build requests for any method.
public struct ReflectionService: RPCService {
    private let services: [ProtoServiceSchema]

    /// Describes `services` (the schema entries of what the server serves).
    public init(services: [ProtoServiceSchema]) {
        self.services = services.sorted { $0.name < $1.name }
    }

    public var methods: [RPCMethodHandler] {
        [
            .unary("/baton.rpc.v1.Reflection/ListServices") {
                (_: Baton_Rpc_V1_ListServicesRequest, _) -> Baton_Rpc_V1_ListServicesResponse in
                var response = Baton_Rpc_V1_ListServicesResponse()
                response.services = services.map(Self.info)
                return response
            },
            .unary("/baton.rpc.v1.Reflection/GetSchema") {
                (request: Baton_Rpc_V1_GetSchemaRequest, _) -> Baton_Rpc_V1_GetSchemaResponse in
                let files: [ProtoFileSchema]
                switch BatonSchema.files(defining: request.symbols) {
                case .success(let found): files = found
                case .failure(let unknown): throw RPCError(.notFound, "no schema defines \(unknown.name)")
                }
                var response = Baton_Rpc_V1_GetSchemaResponse()
                response.fileNames = files.map(\.name)
                var set: [UInt8] = []
                for (file, bytes) in zip(BatonSchema.files, BatonSchema.fileDescriptorProtos)
                where response.fileNames.contains(file.name) {
                    set.append(0x0a)  // FileDescriptorSet.file, length-delimited
                    var length = bytes.count
                    while length >= 0x80 {
                        set.append(UInt8(length & 0x7f) | 0x80)
                        length >>= 7
                    }
                    set.append(UInt8(length))
                    set += bytes
                }
                response.fileDescriptorSet = set
                return response
            },
        ]
    }

    private static func info(_ service: ProtoServiceSchema) -> Baton_Rpc_V1_ServiceInfo {
        var info = Baton_Rpc_V1_ServiceInfo()
        info.name = String(service.name.split(separator: ".").last ?? "")
        info.fullName = service.name
        info.fileName = BatonSchema.files.first { $0.defines(service.name) }?.name ?? ""
        info.comment = service.comment
        info.methods = service.methods.map { method in
            var info = Baton_Rpc_V1_MethodInfo()
            info.name = method.name
            info.fullName = "\(method.service).\(method.name)"
            info.path = method.path
            info.streamingKind =
                switch method.kind {
                case .unary: .unary
                case .serverStreaming: .serverStreaming
                case .clientStreaming: .clientStreaming
                case .bidirectionalStreaming: .bidiStreaming
                }
            info.inputType = method.inputType
            info.outputType = method.outputType
            info.comment = method.comment
            return info
        }
        return info
    }
}
