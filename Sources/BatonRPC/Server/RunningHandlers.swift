import Synchronization

/// Counts the call handlers still running, so a shutdown can wait for them before it stops the
/// event loops they run on.
///
/// Ending a call cancels its handler's task, but the task still has to finish: a handler
/// cancelled while it awaits the database resumes on its connection's event loop (its task
/// executor). Were that loop shut down first, the task would never run again, and whatever it
/// held (a database reader) would stay held for good.
final class RunningHandlers: Sendable {
    private struct State {
        var running = 0
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    func started() {
        state.withLock { $0.running += 1 }
    }

    func finished() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no handler runs, or when the calling task is cancelled.
    func waitUntilNoneRun() async {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.running == 0 || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Waits until no handler runs, for at most `limit`; returns how many still run then.
    func waitUntilNoneRun(atMost limit: Duration) async -> Int {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilNoneRun() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
        return state.withLock { $0.running }
    }
}
