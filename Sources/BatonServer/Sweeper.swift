import Baton
import Logging

/// Runs the domain's sweep (lease and transfer expiry, event and idempotency retention) every
/// `interval` until cancelled. The sweep itself reads the injected clock, so tests call
/// `Handoff.sweep()` directly instead.
public struct Sweeper: Sendable {
    private let handoff: Handoff
    private let interval: Duration
    private let logger: Logger

    public init(handoff: Handoff, interval: Duration = .seconds(1), logger: Logger) {
        self.handoff = handoff
        self.interval = interval
        self.logger = logger
    }

    /// Sweeps until the task is cancelled; a failed sweep is logged and retried next time.
    public func run() async {
        while !Task.isCancelled {
            do {
                let result = try await handoff.sweep()
                if !result.isEmpty {
                    logger.info(
                        "sweep",
                        metadata: [
                            "logged_out": "\(result.loggedOutRepIDs)",
                            "expired_transfers": "\(result.expiredTransferIDs)",
                            "pruned_events": "\(result.prunedEventCount)",
                            "forgotten_responses": "\(result.forgottenResponseCount)",
                        ]
                    )
                }
            } catch where Task.isCancelled {
                // A shutdown stopped the sweep midway: nothing failed.
                return
            } catch where error.code == .resourceExhausted || error.code == .unavailable {
                // A full or read-only disk: the store logs it once per episode, not once a sweep.
                logger.debug("sweep failed: \(error)")
            } catch {
                logger.warning("sweep failed: \(error)")
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
