/// At most `limit` bodies at once; the rest wait their turn, first come first served.
///
/// Tests on the PostgreSQL cluster take turns through one of these: each holds a pool, a LISTEN
/// connection and a server socket, and a hundred at once took the test process past 1,024 open
/// files, where Foundation's `select`-based socket manager (which `Process` relies on to see a
/// child exit) stops working and every test waiting on a child process hangs.
public actor ConcurrencyLimit {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(_ limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a turn; every `acquire` is paired with one `release`.
    public func acquire() async {
        if running >= limit {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
    }

    /// Ends a turn: it passes straight to the next waiter, so `running` counts it already.
    public func release() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }
}
