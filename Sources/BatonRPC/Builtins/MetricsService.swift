import BatonProtos

/// `baton.rpc.v1.Metrics`: the process's metrics in Prometheus text form, from whatever
/// swift-metrics backend the executable bootstrapped.
public struct MetricsService: RPCService {
    private let scrape: @Sendable () -> String

    /// `scrape` renders the current metrics as Prometheus text exposition.
    public init(scrape: @escaping @Sendable () -> String) {
        self.scrape = scrape
    }

    public var methods: [RPCMethodHandler] {
        [
            .unary("/baton.rpc.v1.Metrics/Scrape") { (_: Baton_Rpc_V1_ScrapeRequest, _) -> Baton_Rpc_V1_ScrapeResponse in
                var response = Baton_Rpc_V1_ScrapeResponse()
                response.text = scrape()
                response.contentType = "text/plain; version=0.0.4; charset=utf-8"
                return response
            }
        ]
    }
}
