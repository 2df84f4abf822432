/// Finds a call's handler by its full method path (`/baton.v1.Chats/TransferChat`), never by a
/// method index: reordering a .proto cannot misroute a call.
struct RPCRouter: Sendable {
    private let handlers: [String: RPCMethodHandler]

    init(services: [any RPCService]) {
        var handlers: [String: RPCMethodHandler] = [:]
        for service in services {
            for method in service.methods {
                precondition(handlers[method.path] == nil, "two handlers for \(method.path)")
                handlers[method.path] = method
            }
        }
        self.handlers = handlers
    }

    func handler(for path: String) -> RPCMethodHandler? { handlers[path] }

    /// Every served path, sorted.
    var paths: [String] { handlers.keys.sorted() }
}
