import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Makes a socket path safe to bind: its folder private, a stale socket removed only after a
/// connect probe shows nobody serves it, a live one refused.
enum UnixSocketPreparation {
    /// Creates the socket's folder if missing (0700, or 0750 for a group), clears a stale socket,
    /// and returns the address to bind.
    static func prepare(path: String, group: UInt32?) throws -> SocketAddress {
        let address = try UnixSocketAddress.make(path)
        try createFolder(of: path, group: group)
        var info = stat()
        guard lstat(path, &info) == 0 else { return address }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw UnixSocketFailure(.cannotCreate, "\(path) exists and is not a socket; refusing to replace it")
        }
        if probe(address) {
            throw UnixSocketFailure(.inUse, "another server is already listening on \(path)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw UnixSocketFailure(
                .cannotCreate,
                "cannot remove the stale socket \(path): \(String(cString: strerror(errno)))"
            )
        }
        return address
    }

    /// True when a server accepts connections on `address`.
    static func probe(_ address: SocketAddress) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return address.withSockAddr { connect(fd, $0, socklen_t($1)) } == 0
    }

    private static func createFolder(of path: String, group: UInt32?) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let folder = String(path[..<slash])
        var info = stat()
        if stat(folder, &info) == 0 { return }
        try createFolder(of: folder, group: nil)
        let mode: mode_t = group == nil ? 0o700 : 0o750
        guard mkdir(folder, mode) == 0 || errno == EEXIST else {
            throw UnixSocketFailure(.cannotCreate, "cannot create \(folder): \(String(cString: strerror(errno)))")
        }
        // mkdir's mode is filtered by the umask; set it exactly.
        chmod(folder, mode)
        if let group { chown(folder, uid_t.max, group) }
    }

    /// Runs `bind` with a umask that creates the socket owner-only (or owner and group), so it
    /// is never reachable with a wider mode, not even for the moment before a chmod. The umask is
    /// process-wide, so binds in one process take turns.
    static func withSocketUmask<Result>(group: UInt32?, _ bind: () async throws -> Result) async rethrows -> Result {
        await umaskTurn.enter()
        defer { umaskTurn.leave() }
        let previous = umask(group == nil ? 0o177 : 0o117)
        defer { umask(previous) }
        return try await bind()
    }

    private static let umaskTurn = AsyncTurnstile()

    /// Gives the socket to its group, when one is configured.
    static func finish(path: String, group: UInt32?) {
        if let group { chown(path, uid_t.max, group) }
    }
}

/// Lets one task at a time through, across suspension points (a Mutex cannot be held over an
/// `await`); the others wait in order.
final class AsyncTurnstile: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let entered = state.withLock { state in
                if state.busy {
                    state.waiting.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if entered { continuation.resume() }
        }
    }

    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
