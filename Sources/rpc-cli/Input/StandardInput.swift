import Dispatch
import Foundation
import Synchronization

/// stdin, read on a thread of its own: a blocking read must not hold one of the few threads
/// Swift's concurrency runs on.
enum StandardInput {
    /// stdin to its end, for a method that takes one request.
    static func text() async throws -> String {
        let data = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            Thread { continuation.resume(returning: FileHandle.standardInput.readDataToEndOfFile()) }.start()
        }
        return try RequestData.text(data, from: "stdin")
    }

    /// stdin's JSON objects as they are typed or piped. The reading thread stays at most
    /// `readAhead` objects ahead of the call sending them, so a big pipe into a server that
    /// withholds credit waits in the pipe, not in memory; it stops once the call stops
    /// iterating (the server ended it, or it was cancelled).
    struct Values: AsyncSequence, Sendable {
        typealias Element = JSONValueSplitter.Value

        static let readAhead = 16

        private let values: AsyncThrowingStream<Element, any Error>
        private let reader: Reader

        /// `input` is stdin but in tests.
        init(reading input: FileHandle = .standardInput) {
            let reader = Reader(input)
            self.reader = reader
            values = AsyncThrowingStream { continuation in
                continuation.onTermination = { _ in reader.stop() }
                Thread { reader.read(into: continuation) }.start()
            }
        }

        func makeAsyncIterator() -> Iterator { Iterator(values: values.makeAsyncIterator(), reader: reader) }

        struct Iterator: AsyncIteratorProtocol {
            var values: AsyncThrowingStream<Element, any Error>.Iterator
            let reader: Reader

            mutating func next() async throws -> Element? {
                let value = try await values.next()
                if value != nil { reader.consumed() }
                return value
            }
        }
    }

    /// The reading thread's side of `Values`.
    final class Reader: Sendable {
        /// How many more objects the thread may hand over before waiting, and whether the call
        /// stopped iterating.
        private let state = Mutex((room: Values.readAhead, stopped: false))
        /// Wakes the thread when room frees up or the call stops. Counted in `state`, not by the
        /// semaphore: libdispatch traps when a semaphore is freed below its initial value.
        private let wakeUp = DispatchSemaphore(value: 0)
        private let input: FileHandle

        init(_ input: FileHandle) { self.input = input }

        func consumed() {
            state.withLock { $0.room += 1 }
            wakeUp.signal()
        }

        func stop() {
            state.withLock { $0.stopped = true }
            wakeUp.signal()
        }

        func read(into continuation: AsyncThrowingStream<JSONValueSplitter.Value, any Error>.Continuation) {
            var splitter = JSONValueSplitter()
            do {
                while !isStopped, case let chunk = input.availableData, !chunk.isEmpty {
                    for value in try splitter.append(chunk) {
                        guard waitForRoom() else { return }
                        continuation.yield(value)
                    }
                }
                try splitter.finish()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }

        private var isStopped: Bool { state.withLock { $0.stopped } }

        /// Takes room for one object, waiting for it; false once the call stopped.
        private func waitForRoom() -> Bool {
            while true {
                let taken = state.withLock { state -> Bool? in
                    if state.stopped { return false }
                    guard state.room > 0 else { return nil }
                    state.room -= 1
                    return true
                }
                if let taken { return taken }
                wakeUp.wait()
            }
        }
    }
}
