import NIOCore

/// Runs tasks on an event loop: call handlers on their connection's, or a client's callers on
/// its connection's.
///
/// A handler that never awaits anything slower answers without leaving the thread that read
/// its request: each hop between the event loop and Swift's global pool costs about as much as
/// the whole kernel round trip on these machines (see DESIGN.md "How performance is measured").
/// Handlers that await actors or I/O still suspend as usual and return here afterwards.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // Immutable after init; EventLoop is thread-safe.
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
