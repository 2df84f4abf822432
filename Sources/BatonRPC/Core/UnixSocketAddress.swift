import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The socket address of a Unix socket path, for every path Linux takes.
///
/// NIO's `SocketAddress(unixDomainSocketPath:)` refuses paths above 103 bytes (the size BSDs
/// allow), but Linux's `sun_path` holds 108 bytes with the terminating NUL: built here, a path
/// of up to 107 bytes binds and connects, as PROTOCOL.md promises.
enum UnixSocketAddress {
    /// The longest path a `sockaddr_un` holds, its terminating NUL excluded: 107 on Linux.
    static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    static func make(_ path: String) throws(UnixSocketFailure) -> SocketAddress {
        let length = path.utf8.count
        guard length <= maxPathBytes else {
            throw UnixSocketFailure(
                .pathTooLong,
                "socket path \(path) is \(length) bytes, longer than the \(maxPathBytes) bytes a Unix socket address holds"
            )
        }
        // A fresh sockaddr_un is all zeros, so the copied path is NUL-terminated.
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        return SocketAddress(address)
    }
}
