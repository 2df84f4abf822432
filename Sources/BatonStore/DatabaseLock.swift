import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps a database to one process at a time: an exclusive `flock` on `<database>.lock`, which
/// holds the holder's pid so the next one can say who it is. The kernel drops the lock when the
/// holder's process ends, however it ends (SIGKILL too), so a crash never leaves it stale. The
/// file itself stays: removing it would let a second process lock a new file while the first
/// still holds the old one.
final class DatabaseLock: Sendable {
    private let descriptor: Mutex<Int32?>

    /// Takes the lock of the database at `databasePath`, or fails naming the process holding it.
    init(databasePath: String) throws(StoreOpenFailure) {
        let path = databasePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system("create the lock file", path) }
        guard fchmod(fd, 0o600) == 0 else {
            let failure = StoreOpenFailure.system("restrict the lock file", path)
            close(fd)
            throw failure
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.pid(in: fd)
            close(fd)
            guard code == EWOULDBLOCK else { throw .system("lock", path, errno: code) }
            let who = holder.map { "process \($0)" } ?? "another process"
            throw StoreOpenFailure(.inUse, "\(databasePath) is in use by \(who)", holder: holder)
        }
        // The new pid first, then the file cut to its length: truncating first would let a
        // competitor reading in between find no pid, or the stale one of a crashed holder.
        let pid = Array("\(getpid())\n".utf8)
        guard pwrite(fd, pid, pid.count, 0) == pid.count, ftruncate(fd, off_t(pid.count)) == 0 else {
            let failure = StoreOpenFailure.system("write the lock file", path)
            close(fd)
            throw failure
        }
        descriptor = Mutex(fd)
    }

    /// The pid the holder wrote, nil when it wrote none yet.
    private static func pid(in fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = pread(fd, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: bytes[..<count].prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
    }

    /// Lets the next process in; the lock is released at most once.
    func release() {
        descriptor.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    deinit { release() }
}
