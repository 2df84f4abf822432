#if canImport(Glibc)
import Glibc
#endif

/// A client that writes bytes to a Unix socket and reads whatever comes back, with no framing
/// of its own: what a hostile or broken peer looks like to the server.
public enum RawConnection {
    /// Connects to `socketPath`, writes `bytes`, shuts down its sending side, and reads until
    /// the server closes or `timeoutMillis` pass without a byte. Returns the bytes read.
    @discardableResult
    public static func exchange(_ bytes: [UInt8], socketPath: String, timeoutMillis: Int32) -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        expect(fd >= 0, "socket() failed: errno \(errno)")
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            let utf8 = Array(socketPath.utf8)
            expect(utf8.count < path.count, "socket path too long")
            path.copyBytes(from: utf8)
            path[utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        expect(connected == 0, "connect() to the in-process server failed: errno \(errno)")
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server closed on a protocol error: the rest is moot
            written += n
        }
        shutdown(fd, Int32(SHUT_WR))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMillis) > 0 else { break }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: chunk[..<n])
        }
        return received
    }
}
