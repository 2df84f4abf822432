/// Finds a call's handler by its full method path (`/baton.v1.Chats/TransferChat`), never by a
/// method index: reordering a .proto cannot misroute a call.
struct RPCRouter: Sendable {
    /// A method's handler and its metric handles, resolved when the router is built.
    struct Route: Sendable {
        var method: RPCMethodHandler
        var metrics: RPCServerMetrics.Method
    }

    private let routes: [String: Route]

    init(services: [any RPCService], metrics: RPCServerMetrics) {
        var routes: [String: Route] = [:]
        for service in services {
            for method in service.methods {
                precondition(routes[method.path] == nil, "two handlers for \(method.path)")
                routes[method.path] = Route(method: method, metrics: metrics.method(method.path))
            }
        }
        self.routes = routes
    }

    func route(for path: String) -> Route? { routes[path] }

    /// Every served path, sorted.
    var paths: [String] { routes.keys.sorted() }
}
