import BatonProtos
import BatonRPC
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real batond's data at rest: private whatever the umask, and one batond per database.
@Suite struct StoreFilesTests {
    /// The permission bits of `path`, nil when it does not exist.
    private func mode(_ path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o7777
    }

    /// Posts a message to the demo chat, so that the WAL and its index exist.
    private func post(_ text: String, _ batond: BatondProcess) async throws {
        let client = try await RPCClient.connect(socketPath: batond.socketPath)
        let _: Baton_V1_PostMessageResponse = try await client.unary(
            "/baton.v1.Chats/PostMessage",
            Make.post("chat-1", rep: "ana", text)
        )
        await client.close()
    }

    @Test(arguments: ["000", "022"])
    func theDataFolderIs0700AndEveryDatabaseFile0600WhateverTheUmask(umask: String) async throws {
        try await BatondProcess.with(["--demo"], umask: umask) { batond in
            try await post("hello", batond)
            let data = "\(batond.folder)/data"
            #expect(mode(data) == 0o700, "the data folder is \(String(mode(data) ?? 0, radix: 8))")
            for file in ["baton.sqlite", "baton.sqlite-wal", "baton.sqlite-shm", "baton.sqlite.lock"] {
                let found = mode("\(data)/\(file)")
                #expect(found == 0o600, "\(file) is \(found.map { String($0, radix: 8) } ?? "missing")")
            }
        }
    }

    @Test func anExistingLooseFolderIsReportedAndItsDatabaseFilesAreTightened() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            try await post("before", batond)
            let data = "\(batond.folder)/data"
            // As an older batond left them, or an operator who made the folder by hand.
            #expect(chmod(data, 0o755) == 0)
            for file in ["baton.sqlite", "baton.sqlite-wal", "baton.sqlite-shm"] {
                #expect(chmod("\(data)/\(file)", 0o644) == 0)
            }
            #expect(!batond.log.contains("database's folder"))
            try await batond.restart()

            let warnings = batond.log.split(separator: "\n").filter {
                $0.contains(" warning ") && $0.contains("database's folder")
            }
            #expect(warnings.count == 1, "batond's log: \(batond.log)")
            #expect(warnings.first?.contains("folder=\(data)") == true)
            #expect(warnings.first?.contains("mode=755") == true)
            #expect(mode(data) == 0o755, "the folder is the operator's: reported, not changed")
            for file in ["baton.sqlite", "baton.sqlite-wal", "baton.sqlite-shm"] {
                #expect(mode("\(data)/\(file)") == 0o600, "\(file)")
            }
        }
    }

    /// The size of the file at `path`, nil when it does not exist.
    private func size(_ path: String) -> off_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_size
    }

    @Test func aCleanStopCopiesTheWALIntoTheDatabaseAndEmptiesIt() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            try await post("kept in the database itself", batond)
            let wal = "\(batond.folder)/data/baton.sqlite-wal"
            #expect((size(wal) ?? 0) > 0, "the test needs a WAL to checkpoint")
            batond.stop()
            #expect(batond.process.terminationStatus == 0, "\(batond.log)")
            #expect((size(wal) ?? 0) == 0, "the WAL keeps \(size(wal) ?? 0) bytes")
        }
    }

    @Test func aSecondBatondOnTheSameDatabaseRefusesToStartNamingTheHoldersPid() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let data = "\(batond.folder)/data"
            let elsewhere = "\(batond.folder)/run/second.sock"
            for database in [["--data-dir", data], ["--database", "\(data)/baton.sqlite"]] {
                let second = try BatondProcess.runUntilExit(["--socket", elsewhere] + database)
                #expect(second.exited(with: 69), "\(second.terminationStatus): \(second.standardError)")
                #expect(
                    second.standardError.contains("another batond uses it (pid \(batond.process.processIdentifier))"),
                    "\(second.standardError)"
                )
                #expect(!second.standardError.contains("Usage:"))
            }
            // The first one still serves.
            try await post("still here", batond)

            // SIGKILL gives it no chance to clean up: the kernel releases the lock.
            try await batond.killAndRestart()
            let third = try BatondProcess.runUntilExit(["--socket", elsewhere, "--data-dir", data])
            #expect(third.exited(with: 69), "\(third.terminationStatus): \(third.standardError)")
            #expect(third.standardError.contains("(pid \(batond.process.processIdentifier))"), "\(third.standardError)")
        }
    }
}
