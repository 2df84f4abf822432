import BatonProtos
import BatonRPC

/// A client watching the event log through one batond for as long as it lives, the way an
/// application does: when its Watch fails (PostgreSQL went away) it waits until the batond
/// serves again and resumes after the last event it received.
final class ResumingWatcher: Sendable {
    private let task: Task<Void, Never>
    private let received: AsyncStream<UInt64>

    /// Bounds a failing test: a watch that keeps failing ends the stream instead of hanging.
    private static let maxResumptions = 50

    init(on host: Host) {
        let (received, continuation) = AsyncStream.makeStream(of: UInt64.self)
        self.received = received
        task = Task {
            var last: UInt64 = 0
            for _ in 0..<Self.maxResumptions where !Task.isCancelled {
                var request = Baton_V1_WatchRequest()
                request.afterSequence = last
                do {
                    for try await event in try await host.client.serverStreaming(
                        "/baton.v1.Events/Watch",
                        request,
                        as: Baton_V1_Event.self
                    ) {
                        continuation.yield(event.sequence)
                        last = event.sequence
                    }
                } catch {
                    var health = try? await HealthWatch(on: host)
                    try? await health?.next(.serving)
                }
            }
            continuation.finish()
        }
    }

    /// The sequences received, in the order received, up to the first at or past `last`.
    func sequences(through last: UInt64) async -> [UInt64] {
        var sequences: [UInt64] = []
        for await sequence in received {
            sequences.append(sequence)
            if sequence >= last { break }
        }
        return sequences
    }

    func stop() { task.cancel() }
}
