import BatonProtos
import BatonRPC
import NIOCore
import Synchronization

/// A service whose handlers the test can watch and steer: each reports what it does to `log`,
/// and `wait` calls hold until the test opens `gate`, so a test awaits events instead of
/// sleeping. Requests and responses are raw bytes; a request's text names the call.
final class CallProbe: RPCService {
    /// Records `started(id)`, waits for the gate (or cancellation: `cancelled(id)`), echoes the request.
    static let wait = "/baton.test.Probe/Wait"
    /// Client streaming: records `started("hold")` and waits for the gate without reading any
    /// request, so requests pile up against the call's window.
    static let hold = "/baton.test.Probe/Hold"
    /// Server streaming: sends as many messages as the request's decimal text says, each its
    /// index, recording `sending(i)` before and `sent(i)` after each send. A text "count:size"
    /// sends messages of `size` bytes instead.
    static let flood = "/baton.test.Probe/Flood"
    /// Sets response headers and trailers metadata, then echoes the request.
    static let metadata = "/baton.test.Probe/Metadata"
    /// Sets response headers metadata, then fails with FAILED_PRECONDITION, trailing metadata and
    /// a RetryInfo detail, without sending a message.
    static let failWithDetails = "/baton.test.Probe/FailWithDetails"
    /// Fails with an error that is not an `RPCError` and whose text must not reach the caller.
    static let crash = "/baton.test.Probe/Crash"
    /// Answers with an empty message.
    static let empty = "/baton.test.Probe/Empty"

    static let secret = "password=hunter2 at /srv/internal/db.sqlite"

    enum Event: Hashable, Sendable {
        case started(String)
        case cancelled(String)
        case sending(Int)
        case sent(Int)
    }

    let gate = Gate()
    let log = EventLog<Event>()

    private struct InternalFailure: Error, CustomStringConvertible {
        var description: String { CallProbe.secret }
    }

    var methods: [RPCMethodHandler] {
        let gate = gate
        let log = log
        return [
            RPCMethodHandler(path: Self.wait, kind: .unary) { requests, writer, _ in
                var iterator = requests.makeAsyncIterator()
                let request = try await iterator.next() ?? ByteBuffer()
                let id = String(buffer: request)
                await log.record(.started(id))
                do {
                    try await gate.wait()
                } catch {
                    await log.record(.cancelled(id))
                    throw error
                }
                try await writer.send(request)
            },
            RPCMethodHandler(path: Self.hold, kind: .clientStreaming) { _, writer, _ in
                await log.record(.started("hold"))
                try await gate.wait()
                try await writer.send(ByteBuffer())
            },
            RPCMethodHandler(path: Self.flood, kind: .serverStreaming) { requests, writer, _ in
                var iterator = requests.makeAsyncIterator()
                let text = String(buffer: try await iterator.next() ?? ByteBuffer())
                let numbers = text.split(separator: ":").map { Int($0) ?? 0 }
                let count = numbers.first ?? 0
                let size = numbers.dropFirst().first
                for index in 0..<count {
                    await log.record(.sending(index))
                    let message = size.map { ByteBuffer(repeating: 0x2a, count: $0) } ?? ByteBuffer(string: "\(index)")
                    try await writer.send(message)
                    await log.record(.sent(index))
                }
            },
            RPCMethodHandler(path: Self.metadata, kind: .unary) { requests, writer, _ in
                var iterator = requests.makeAsyncIterator()
                let request = try await iterator.next() ?? ByteBuffer()
                writer.setInitialMetadata(["x-initial": "hello"])
                var trailing: RPCMetadata = ["x-trailing": "bye"]
                trailing.add("x-trace-bin", bytes: [0, 1, 254, 255])
                writer.setTrailingMetadata(trailing)
                try await writer.send(request)
            },
            RPCMethodHandler(path: Self.failWithDetails, kind: .unary) { _, writer, _ in
                writer.setInitialMetadata(["x-initial": "set-before-failing"])
                var retry = Baton_Rpc_V1_RetryInfo()
                retry.retryAfterMillis = 250
                throw RPCError(.failedPrecondition, "the chat already ended", metadata: ["x-why": "ended"]).adding(
                    retry
                )
            },
            RPCMethodHandler(path: Self.crash, kind: .unary) { _, _, _ in
                throw InternalFailure()
            },
            RPCMethodHandler(path: Self.empty, kind: .unary) { _, writer, _ in
                try await writer.send(ByteBuffer())
            },
        ]
    }
}

/// Holds its waiters until opened; a waiting task that is cancelled stops waiting at once.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
    }

    private let state = Mutex(State())

    /// Lets every current and future waiter through.
    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the gate opens; throws `CancellationError` when the task is cancelled first.
    func wait() async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = state.withLock { state in
                    if state.isOpen { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}

/// Events in the order they happened, and a way to await one.
actor EventLog<Event: Hashable & Sendable> {
    private(set) var events: [Event] = []
    private var waiters: [(event: Event, continuation: CheckedContinuation<Void, Never>)] = []

    func record(_ event: Event) {
        events.append(event)
        var pending: [(event: Event, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in waiters {
            if waiter.event == event { waiter.continuation.resume() } else { pending.append(waiter) }
        }
        waiters = pending
    }

    /// Returns once `event` has been recorded.
    func wait(for event: Event) async {
        if events.contains(event) { return }
        await withCheckedContinuation { waiters.append((event, $0)) }
    }

    func contains(_ event: Event) -> Bool { events.contains(event) }
}
