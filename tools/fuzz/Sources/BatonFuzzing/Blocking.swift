import Dispatch

/// Runs `body` to completion from synchronous code: libFuzzer calls each target on its own
/// thread and expects the input's work done when the call returns.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    let result = ResultBox<T>()
    Task {
        result.value = await body()
        done.signal()
    }
    done.wait()
    return result.value!
}

/// The semaphore orders the one write before the one read.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
