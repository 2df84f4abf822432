import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server for tests: a cluster `initdb` makes in a fresh temporary folder,
/// listening only on a Unix socket in that folder (no TCP port to collide with anything), with
/// trust authentication for the `postgres` superuser. PostgreSQL refuses to run as root, so when
/// the tests run as root its programs run as the `postgres` user, in a folder chowned to it.
///
/// Everything is removed when the test process ends, however it ends (a crash or SIGKILL too): a
/// reaper process waits for the end of a pipe only this process holds open, then stops the
/// server and deletes the folder.
public final class PostgresCluster: Sendable {
    /// The folder holding the socket (`.s.PGSQL.5432`) and `data/`.
    public let folder: String
    private let programs: PostgresPrograms
    private let reaper: BackgroundProcess
    /// The running server; nil while stopped.
    private let server = Mutex<BackgroundProcess?>(nil)
    private let databaseCount = Mutex(0)

    private static let sharedCluster = Mutex<Task<PostgresCluster, any Error>?>(nil)

    /// The cluster every test of this process shares (started on first use): tests that only
    /// need a database of their own get it with `makeDatabase()`. Tests that stop or restart
    /// the server use `withPrivate` instead.
    public static func shared() async throws -> PostgresCluster {
        let start = sharedCluster.withLock { existing in
            if let existing { return existing }
            let start = Task { try await PostgresCluster.start() }
            existing = start
            return start
        }
        return try await start.value
    }

    /// Starts a cluster of its own for `body` (for tests that stop or restart the server), then
    /// removes it, also when `body` throws.
    public static func withPrivate<Result>(_ body: (PostgresCluster) async throws -> Result) async throws -> Result {
        let cluster = try await start()
        do {
            let result = try await body(cluster)
            await cluster.remove()
            return result
        } catch {
            await cluster.remove()
            throw error
        }
    }

    /// Makes a cluster in a new folder and starts it. The folder's path is short: a Unix socket's
    /// path may hold at most 107 bytes.
    public static func start() async throws -> PostgresCluster {
        let programs = try PostgresPrograms.find()
        let folder = String(cString: mkdtemp(strdup("/tmp/pg-XXXXXX"))!)
        // mkdtemp's 0700 is masked by the process umask, which a test starting a server
        // narrows for a moment (RPCServer's bind); the server user must be able to enter.
        guard chmod(folder, 0o700) == 0 else {
            throw PostgresClusterFailed(message: "cannot open \(folder) to its owner: errno \(errno)")
        }
        if let owner = programs.serverUser {
            guard chown(folder, owner.uid, owner.gid) == 0 else {
                throw PostgresClusterFailed(message: "cannot hand \(folder) to the postgres user: errno \(errno)")
            }
        }
        let reaper = try programs.reaper(for: folder)
        let cluster = PostgresCluster(folder: folder, programs: programs, reaper: reaper)
        do {
            // --no-sync: a throwaway cluster need not survive a power cut while it is being made;
            // the server itself runs with fsync on, so commits cost what they cost in production.
            try await programs.runAsServerUser(
                "initdb",
                ["-D", cluster.dataFolder, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"]
            )
            try await cluster.start()
        } catch {
            await cluster.remove()
            throw error
        }
        return cluster
    }

    private init(folder: String, programs: PostgresPrograms, reaper: BackgroundProcess) {
        self.folder = folder
        self.programs = programs
        self.reaper = reaper
    }

    private var dataFolder: String { "\(folder)/data" }

    /// The URL of `database` on this cluster, in libpq's conventions (`host=` names the socket's
    /// folder), the form `batond --postgres-url` takes.
    public func url(database: String) -> String {
        "postgres://postgres@localhost/\(database)?host=\(folder)"
    }

    /// Creates a fresh, empty database and returns it.
    public func makeDatabase() async throws -> PostgresDatabase {
        let number = databaseCount.withLock { count in
            count += 1
            return count
        }
        let name = "baton_test_\(number)"
        try await programs.run("createdb", ["-h", folder, "-U", "postgres", name])
        return PostgresDatabase(name: name, url: url(database: name), cluster: self)
    }

    /// Starts the server on the data already in the folder and returns once it accepts
    /// connections (it logs that it is ready).
    ///
    /// The server runs in the foreground as this process's child rather than daemonized by
    /// `pg_ctl start`: Foundation's `Process` learns that a child ended when a socket it hands
    /// the child closes, and a daemon inheriting that socket would keep `pg_ctl` "running" for
    /// as long as the server runs.
    public func start() async throws {
        let server = try programs.server(
            dataFolder: dataFolder,
            options: [
                "-k", folder, "-c", "listen_addresses=", "-c", "fsync=on",
                // Every test's store and every batond has a pool of its own, all on one server.
                "-c", "max_connections=1000",
            ]
        )
        let lines = await server.lines(until: { $0.contains("database system is ready to accept connections") })
        guard lines.contains(where: { $0.contains("database system is ready to accept connections") }) else {
            server.stop()
            throw PostgresClusterFailed(message: "PostgreSQL did not start: \(lines.joined(separator: "\n"))")
        }
        self.server.withLock { $0 = server }
    }

    /// Stops the server (`-m fast`: open transactions roll back, clients are disconnected, as
    /// when an operator restarts it) and returns once it is down.
    public func stop() async throws {
        try await programs.runAsServerUser("pg_ctl", ["stop", "-w", "-t", "60", "-m", "fast", "-D", dataFolder])
        if let server = server.withLock({ $0.take() }) {
            _ = await server.waitForExit()
            server.stop()
        }
    }

    /// Stops the server and starts it again on the same data.
    public func restart() async throws {
        try await stop()
        try await start()
    }

    /// Runs `sql` with psql on `database` and returns its unaligned, tuples-only output
    /// (one row a line, columns separated by `|`), without the last newline. Fails on any
    /// SQL error.
    public func psql(_ sql: String, database: String) async throws -> String {
        let result = try await programs.run(
            "psql",
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder, "-U", "postgres", "-d", database, "-c", sql]
        )
        var text = result.standardText
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// Stops the server and deletes the folder, and returns once both are done.
    public func remove() async {
        reaper.closeInput()
        _ = await reaper.waitForExit()
        reaper.stop()
        if let server = server.withLock({ $0.take() }) {
            _ = await server.waitForExit()
            server.stop()
        }
    }
}

/// One database on a test cluster.
public struct PostgresDatabase: Sendable {
    public let name: String
    /// What `batond --postgres-url` and `PostgresStore(url:)` take.
    public let url: String
    public let cluster: PostgresCluster

    /// Runs `sql` on this database; see `PostgresCluster.psql`.
    public func psql(_ sql: String) async throws -> String {
        try await cluster.psql(sql, database: name)
    }
}

/// A PostgreSQL program failed, or none is installed.
public struct PostgresClusterFailed: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Where Debian put PostgreSQL's programs, and whom the server must run as.
private struct PostgresPrograms: Sendable {
    struct User: Sendable {
        let uid: uid_t
        let gid: gid_t
    }

    let binaries: String
    /// The `postgres` user when this process is root (the server refuses to run as root);
    /// nil when it already runs as someone else.
    let serverUser: User?

    /// The newest version in /usr/lib/postgresql/*/bin (Debian's layout; tools/bootstrap.sh
    /// installs it).
    static func find() throws -> PostgresPrograms {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }
            .sorted()
        let installed = versions.filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }
        guard let newest = installed.last else {
            throw PostgresClusterFailed(
                message: "PostgreSQL is not installed (no \(root)/*/bin/initdb); run tools/bootstrap.sh"
            )
        }
        var serverUser: User?
        if getuid() == 0 {
            guard let entry = getpwnam("postgres") else {
                throw PostgresClusterFailed(
                    message: "running as root, and there is no postgres user to run the server as"
                )
            }
            serverUser = User(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
        }
        return PostgresPrograms(binaries: "\(root)/\(newest)/bin", serverUser: serverUser)
    }

    /// Runs a client program (createdb, psql) as this process's user.
    @discardableResult
    func run(_ program: String, _ arguments: [String]) async throws -> ChildProcessResult {
        try await Self.runOffThePool(URL(fileURLWithPath: "\(binaries)/\(program)"), arguments)
    }

    /// Runs a server program (initdb, pg_ctl) as the user the server runs as.
    @discardableResult
    func runAsServerUser(_ program: String, _ arguments: [String]) async throws -> ChildProcessResult {
        guard serverUser != nil else { return try await run(program, arguments) }
        return try await Self.runOffThePool(
            URL(fileURLWithPath: "/usr/sbin/runuser"),
            ["-u", "postgres", "--", "\(binaries)/\(program)"] + arguments
        )
    }

    /// Starts `postgres` in the foreground on `dataFolder`, its log on stdout.
    func server(dataFolder: String, options: [String]) throws -> BackgroundProcess {
        let postgres = ["\(binaries)/postgres", "-D", dataFolder] + options
        let command = serverUser == nil ? postgres : ["/usr/sbin/runuser", "-u", "postgres", "--"] + postgres
        return try BackgroundProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$@\" 2>&1", "postgres"] + command)
    }

    /// A process that, once its stdin ends (`closeInput()`, or this process's end, whichever
    /// comes first), stops the server in `folder` at once and deletes the folder. It ignores
    /// the signals a terminal sends the whole process group, so that a test run interrupted by
    /// ^C still cleans up.
    func reaper(for folder: String) throws -> BackgroundProcess {
        let stop = "\(binaries)/pg_ctl stop -w -m immediate -D \"$1/data\" >/dev/null 2>&1"
        let script = """
            trap '' INT TERM HUP
            while read -r _; do :; done
            if [ -f "$1/data/postmaster.pid" ]; then \(serverUser == nil ? stop : "runuser -u postgres -- \(stop)"); fi
            rm -rf "$1"
            """
        return try BackgroundProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script, "postgres-reaper", folder])
    }

    /// One program at a time: Foundation's `Process.run` crashed (a bad read in its spawn) with
    /// a hundred tests each starting createdb at once.
    private static let oneAtATime = NSLock()

    /// Runs a program to completion on a thread of its own: a server start takes a second or
    /// so, and blocking one of Swift concurrency's few threads that long could starve the tests
    /// running beside it. Fails, with the program's stderr, unless it exits with 0.
    private static func runOffThePool(_ executable: URL, _ arguments: [String]) async throws -> ChildProcessResult {
        let result = try await withCheckedThrowingContinuation { continuation in
            Thread {
                oneAtATime.lock()
                defer { oneAtATime.unlock() }
                let result = Result {
                    // From `/`: the server user may not be allowed into the test's own folder.
                    try ChildProcess.run(
                        executable,
                        arguments,
                        workingDirectory: URL(fileURLWithPath: "/"),
                        timeout: .seconds(120)
                    )
                }
                continuation.resume(with: result)
            }.start()
        }
        guard result.exited(with: 0) else {
            let command = ([executable.lastPathComponent] + arguments.prefix(3)).joined(separator: " ")
            throw PostgresClusterFailed(
                message: "\(command)… failed (status \(result.terminationStatus)): \(result.standardError)"
            )
        }
        return result
    }
}
