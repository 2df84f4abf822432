import Foundation

/// A throwaway PostgreSQL cluster for one test, run as the `postgres` user (the server refuses
/// root) on a Unix socket in its own folder: copied from a cluster `initdb` made once per test
/// process, started, and removed by `with`. Until the shared harness of BatonTestSupport lands,
/// the engine's own tests use this one.
final class TestCluster: Sendable {
    let folder: String

    /// The URL of the cluster's `baton` database, as superuser `baton`.
    var url: String { "postgres://baton@/baton?host=\(folder)" }

    private static let binaries = "/usr/lib/postgresql/15/bin"

    /// A cluster made by initdb once, copied for every test.
    private static let template: Result<String, any Error> = Result {
        let folder = try makeFolder()
        try runAsPostgres("\(binaries)/initdb", ["-D", "\(folder)/data", "-U", "baton", "--auth=trust", "-N"])
        return folder
    }

    private init(folder: String) { self.folder = folder }

    /// Runs `body` with a fresh running cluster holding an empty `baton` database; then stops
    /// the server and removes the folder.
    static func with<T>(_ body: (TestCluster) async throws -> T) async throws -> T {
        let template = try template.get()
        let folder = try makeFolder()
        let cluster = TestCluster(folder: folder)
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        try runAsPostgres("/bin/cp", ["-a", "\(template)/data", "\(folder)/data"])
        try cluster.start()
        try runAsPostgres("\(binaries)/createdb", ["-h", folder, "-U", "baton", "baton"])
        return try await body(cluster)
    }

    /// Starts the server and waits until it accepts connections.
    func start() throws {
        try Self.runAsPostgres(
            "\(Self.binaries)/pg_ctl",
            ["-D", "\(folder)/data", "-l", "\(folder)/log", "-w", "-o", "-k \(folder) -c listen_addresses='' -c fsync=off", "start"]
        )
    }

    /// Stops the server (fast: open connections are closed) and waits until it is gone.
    func stop() throws {
        try Self.runAsPostgres("\(Self.binaries)/pg_ctl", ["-D", "\(folder)/data", "-m", "fast", "-w", "stop"])
    }

    /// Runs one SQL statement with psql, for what a test sets up behind the store's back.
    func psql(_ sql: String) throws {
        try Self.runAsPostgres(
            "\(Self.binaries)/psql",
            ["-h", folder, "-U", "baton", "-d", "baton", "-v", "ON_ERROR_STOP=1", "-qc", sql]
        )
    }

    private static func makeFolder() throws -> String {
        let folder = "/tmp/bpg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        guard getuid() != 0 || chown(folder, postgresUID, postgresGID) == 0 else { throw ClusterFailure("cannot chown \(folder)") }
        return folder
    }

    private static let postgresUID: uid_t = getpwnam("postgres")?.pointee.pw_uid ?? 0
    private static let postgresGID: gid_t = getpwnam("postgres")?.pointee.pw_gid ?? 0

    /// Runs `executable` as the postgres user and waits for it.
    ///
    /// With posix_spawn and waitpid, not Foundation's `Process`: that one learns a child ended
    /// when a descriptor the child inherited closes, and the server pg_ctl starts inherits it
    /// too, so `waitUntilExit` would wait for the server to stop.
    private static func runAsPostgres(_ executable: String, _ arguments: [String]) throws {
        let command = (getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] : [executable]) + arguments
        let outputPath = NSTemporaryDirectory() + "bpg-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = command.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw ClusterFailure("cannot run \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ClusterFailure("\(executable) \(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
    }
}

struct ClusterFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
