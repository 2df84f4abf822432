import Synchronization

/// Wakes event watchers after a commit. It carries no events: a woken watcher reads what is new
/// from the store after the last sequence it sent, so a slow watcher costs one pending wake-up,
/// never a growing buffer, and can neither miss nor repeat an event.
public final class EventSignal: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// A stream that yields after each commit; at most one wake-up waits while the reader is busy.
    public func subscribe() -> AsyncStream<Void> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    /// Tells every subscriber that new events may be committed.
    public func notify() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield() }
    }
}
