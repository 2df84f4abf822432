import Baton
import BatonProtos
import BatonRPC

/// The services batond serves over one `Handoff`: the domain's, health, metrics, optionally the
/// test service, and reflection describing exactly those, each reported SERVING by `health`.
/// batond and the fuzzers (tools/fuzz) build their servers from this one list, so what is fuzzed
/// is what is served.
public enum BatonServices {
    public static func all(
        handoff: Handoff,
        health: HealthService,
        scrapeMetrics: @escaping @Sendable () -> String,
        includingTestService: Bool
    ) -> [any RPCService] {
        var services: [any RPCService] = [
            health,
            RepsService(handoff: handoff),
            ChatsService(handoff: handoff),
            EventsService(handoff: handoff),
            CalendarsService(handoff: handoff),
            MetricsService(scrape: scrapeMetrics),
        ]
        if includingTestService { services.append(TestService()) }
        let served = Set(services.flatMap(\.methods).map(\.path))
        let reflection = BatonSchema.services.filter { $0.name == "baton.rpc.v1.Reflection" }
        let described = BatonSchema.services.filter { service in
            service.methods.contains { served.contains($0.path) }
        } + reflection
        services.append(ReflectionService(services: described))
        for schema in described { health.setStatus(.serving, for: schema.name) }
        return services
    }
}
