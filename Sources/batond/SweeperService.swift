import BatonServer
import ServiceLifecycle

/// The sweeper as a lifecycle service: it stops when the group shuts down.
struct SweeperService: Service {
    let sweeper: Sweeper

    func run() async throws {
        await cancelWhenGracefulShutdown { await sweeper.run() }
    }
}
