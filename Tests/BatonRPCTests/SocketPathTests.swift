import BatonRPC
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Socket paths of up to 107 bytes, all that Linux's `sun_path` holds (PROTOCOL.md 14), serve;
/// NIO's own address check stops at 103.
@Suite("Socket paths up to 107 bytes", .timeLimit(.minutes(1)))
struct SocketPathTests {
    /// A path of exactly `bytes` bytes in `folder`.
    static func path(in folder: String, bytes: Int) -> String {
        let prefix = "\(folder)/"
        return prefix + String(repeating: "s", count: bytes - prefix.utf8.count)
    }

    private func server(at path: String) -> RPCServer {
        RPCServer(
            configuration: testConfiguration(socketPath: path),
            services: testServices(health: HealthService(), extra: []),
            logger: silentLogger
        )
    }

    /// Leaves a socket file at `path` that nobody listens on, as a server that was killed does.
    private func leaveStaleSocket(at path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw TestFailure("bind \(path): \(String(cString: strerror(errno)))") }
    }

    @Test("a server on a 107-byte path replaces a stale socket there, serves, and a second server is refused as in use")
    func longestPathServes() async throws {
        try await withTemporaryDirectory { folder in
            let path = Self.path(in: folder, bytes: 107)
            try leaveStaleSocket(at: path)
            let first = server(at: path)
            try await start(first)
            do {
                #expect(try await checkHealth(path) == .serving)
                await #expect {
                    try await start(server(at: path))
                } throws: { error in
                    (error as? UnixSocketFailure)?.reason == .inUse
                }
                #expect(try await checkHealth(path) == .serving, "the first server still serves")
            } catch {
                await first.shutdown()
                throw error
            }
            await first.shutdown()
        }
    }

    @Test("a 108-byte path is refused by the server and the client, naming the 107-byte limit")
    func oneByteMoreIsRefused() async throws {
        try await withTemporaryDirectory { folder in
            let path = Self.path(in: folder, bytes: 108)
            await #expect {
                try await start(server(at: path))
            } throws: { error in
                guard let failure = error as? UnixSocketFailure else { return false }
                return failure.reason == .pathTooLong
                    && failure.description.contains("108 bytes, longer than the 107 bytes a Unix socket address holds")
            }
            let error = await expectRPCError(.unavailable) { try await RPCClient.connect(socketPath: path) }
            #expect(error?.message.contains("longer than the 107 bytes") == true, "\(String(describing: error))")
        }
    }

    @Test("batond serves on a 107-byte socket path")
    func batondServesTheLongestPath() async throws {
        let batond = try await BatondProcess.start(socketPath: { Self.path(in: $0, bytes: 107) })
        defer { batond.remove() }
        #expect(batond.socketPath.utf8.count == 107)
        #expect(try await checkHealth(batond.socketPath) == .serving)
    }

    @Test("batond refuses a 108-byte socket path with exit 78 (EX_CONFIG), naming the limit")
    func batondRefusesOneByteMore() async throws {
        try await withTemporaryDirectory { folder in
            let path = Self.path(in: folder, bytes: 108)
            let result = try BatondProcess.runUntilExit(["--socket", path, "--data-dir", "\(folder)/data"])
            #expect(result.exited(with: 78), "exit \(result.terminationStatus): \(result.standardError)")
            #expect(
                result.standardError.contains("is 108 bytes, longer than the 107 bytes a Unix socket address holds"),
                "\(result.standardError)"
            )
        }
    }
}
