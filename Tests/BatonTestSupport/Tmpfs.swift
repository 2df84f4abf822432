import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A tmpfs mounted on a fresh folder for one test: a disk that really fills up (`size=2m`), or
/// one that really is read-only (`ro`). Mounting needs root, which the tests have here and in
/// CI; without it the test fails saying so, rather than skipping what it is there to check.
public enum Tmpfs {
    /// Mounts a tmpfs with `options` (mount(8)'s `-o`), runs `body` with its folder, then
    /// unmounts it and removes the folder, also when `body` throws.
    public static func with<Result>(
        options: String,
        _ body: (_ folder: String) async throws -> Result
    ) async throws -> Result {
        guard getuid() == 0 else {
            throw TmpfsUnavailable(reason: "mounting a tmpfs needs root (uid 0), this test runs as uid \(getuid())")
        }
        let folder = String(cString: mkdtemp(strdup("/tmp/baton-tmpfs-XXXXXX"))!)
        defer { rmdir(folder) }
        let mounted = try mount(["-t", "tmpfs", "-o", options, "tmpfs", folder])
        guard mounted.exited(with: 0) else {
            throw TmpfsUnavailable(reason: "mount -t tmpfs -o \(options) failed: \(mounted.standardError)")
        }
        defer { _ = try? ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["umount", "-l", folder]) }
        return try await body(folder)
    }

    private static func mount(_ arguments: [String]) throws -> ChildProcessResult {
        try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["mount"] + arguments)
    }
}

/// A test that needs a tmpfs could not mount one.
public struct TmpfsUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
