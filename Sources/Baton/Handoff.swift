import BatonProtos
import Foundation

/// Baton's domain: reps, teams, chats, transfers and the event log, with every rule of the
/// design, over any `BatonStore`. Each call is one store transaction; watchers are woken after
/// it commits.
public struct Handoff: Sendable {
    /// Where everything is kept.
    public let store: any BatonStore
    /// The time stamped on changes and compared with leases and transfer expiries.
    public let clock: any BatonClock
    /// Woken after every commit that appended events.
    public let signal: EventSignal
    /// How long a two-phase transfer waits for an answer when the request does not say.
    public let defaultRequestTTL: UInt32
    /// How long the sweep keeps events and remembered responses.
    public let retention: Retention

    public init(
        store: any BatonStore,
        clock: any BatonClock = SystemClock(),
        signal: EventSignal = EventSignal(),
        defaultRequestTTL: UInt32 = 120,
        retention: Retention = .forever
    ) {
        self.store = store
        self.clock = clock
        self.signal = signal
        self.defaultRequestTTL = defaultRequestTTL
        self.retention = retention
    }

    /// Runs `body` in a write transaction with the time it should stamp, then wakes watchers.
    func write<T: Sendable>(
        _ body: @escaping @Sendable (any StoreTransaction, Date) throws -> T
    ) async throws(BatonError) -> T {
        let now = clock.now
        do {
            let result = try await store.write { transaction in try body(transaction, now) }
            signal.notify()
            return result
        } catch let error as BatonError {
            throw error
        } catch {
            throw BatonError(storeFailure: error, writing: true)
        }
    }

    /// Runs `body` on a snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReader) throws -> T) async throws(BatonError) -> T {
        do {
            return try await store.read(body)
        } catch let error as BatonError {
            throw error
        } catch {
            throw BatonError(storeFailure: error, writing: false)
        }
    }
}
