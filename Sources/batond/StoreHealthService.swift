import Baton
import BatonPostgres
import BatonRPC
import BatonServer
import Logging
import ServiceLifecycle

/// Keeps the server's health in step with the shared store: NOT_SERVING while PostgreSQL cannot
/// be reached (or before its schema is migrated), SERVING once it answers. With `--demo`, seeds
/// the demo data the first time it does (the store is not reachable before batond runs it).
struct StoreHealthService: Service {
    let store: PostgresStore
    let health: HealthService
    let seed: (@Sendable () async -> Void)?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var seeded = seed == nil
            for await available in store.availability {
                health.setStatus(available ? .serving : .notServing)
                if available, !seeded, let seed {
                    seeded = true
                    await seed()
                }
            }
        }
    }
}
