import BatonProtos
import BatonRPC
@testable import BatonStore
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real batond when its disk fills up or stops taking writes: callers get a status they can
/// act on and a message in their terms, the operator one log line per episode, and once the
/// disk is back nothing acknowledged is missing.
@Suite struct DiskFullTests {
    /// Posts `text` to the demo chat; the error the call failed with, nil when it succeeded.
    private func post(_ text: String, _ client: RPCClient) async throws -> RPCError? {
        do {
            let _: Baton_V1_PostMessageResponse = try await client.unary(
                "/baton.v1.Chats/PostMessage",
                Make.post("chat-1", rep: "ana", text)
            )
            return nil
        } catch let error as RPCError {
            return error
        }
    }

    /// The texts of the demo chat's transcript, as a restarted batond reads them.
    private func transcript(_ batond: BatondProcess) async throws -> Set<String> {
        try await batond.restart()
        let client = try await RPCClient.connect(socketPath: batond.socketPath)
        let chat: Baton_V1_GetChatResponse = try await client.unary("/baton.v1.Chats/GetChat", Make.getChat("chat-1"))
        await client.close()
        return Set(chat.chat?.transcript.map(\.text) ?? [])
    }

    /// The log lines of `level` that contain `text`.
    private func lines(_ level: String, containing text: String, in log: String) -> [Substring] {
        log.split(separator: "\n").filter { $0.contains(" \(level) ") && $0.contains(text) }
    }

    /// The `failed_calls` a recovery line counts, -1 without one. At least the refusals the test
    /// saw: a background sweep refused during the episode counts too.
    private func failedCalls(in line: Substring?) -> Int {
        guard let line, let range = line.range(of: "failed_calls=") else { return -1 }
        return Int(line[range.upperBound...].prefix(while: \.isNumber)) ?? -1
    }

    /// Fills the rest of the file system holding `folder` with a file (growing it when it
    /// exists); returns its path.
    @discardableResult
    private func fill(_ folder: String) throws -> String {
        let filler = "\(folder)/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x5a, count: 4096)
        while write(fd, chunk, chunk.count) > 0 {}
        #expect(errno == ENOSPC)
        return filler
    }

    @Test func aFullDiskAnswersResourceExhaustedLogsOnceAndLosesNothingAcknowledged() async throws {
        // What the filler frees is what the disk had left after 20 posts; the first commits
        // after it also let the background checkpoint grow the database file, so the disk must
        // leave the WAL room beyond that (on 2 MB it once had 380 KB freed, 180 KB taken by the
        // checkpoint, and too little left for the WAL).
        try await Tmpfs.with(options: "size=3m") { disk in
            try await BatondProcess.with(["--demo", "--database", "\(disk)/baton.sqlite"]) { batond in
                let client = try await RPCClient.connect(socketPath: batond.socketPath)
                // A few KB each, so that the disk fills within a few hundred calls.
                let padding = String(repeating: "lorem ipsum ", count: 300)
                var acknowledged: [String] = []
                var refused: [String] = []
                for index in 0..<20 {
                    let text = "before \(index) \(padding)"
                    try #require(try await post(text, client) == nil)
                    acknowledged.append(text)
                }
                let filler = try fill(disk)

                // The WAL still has room for some: write until the disk says no.
                var failure: RPCError?
                for index in 0..<2_000 where failure == nil {
                    let text = "while full \(index) \(padding)"
                    failure = try await post(text, client)
                    if failure == nil { acknowledged.append(text) } else { refused.append(text) }
                }
                let error = try #require(failure, "2,000 posts fit on a full 2 MB disk")
                #expect(error.code == .resourceExhausted, "\(error)")
                #expect(error.message == "the store is out of disk space; the change was not saved")
                // Larger than the one refused, so they cannot fit in what is left of the WAL.
                for index in 0..<5 {
                    let text = "still full \(index) \(padding)\(padding)"
                    let again = try await post(text, client)
                    #expect(again?.code == .resourceExhausted, "\(String(describing: again))")
                    if again != nil { refused.append(text) }
                }
                #expect(lines("error", containing: "out of disk space", in: batond.log).count == 1, "\(batond.log)")

                try FileManager.default.removeItem(atPath: filler)
                try await postUntilTheEpisodeEnds("after", client, &acknowledged)
                await client.close()
                let recovered = lines("info", containing: "disk space again", in: batond.log)
                #expect(recovered.count == 1, "\(batond.log)")
                #expect(failedCalls(in: recovered.first) >= refused.count, "\(batond.log)")

                let kept = try await transcript(batond)
                #expect(acknowledged.allSatisfy(kept.contains), "every acknowledged message survives")
                #expect(!refused.contains(where: kept.contains), "no refused message was saved after all")
            }
        }
    }

    /// Posts as many messages (`prefix` and a number) as end a fault episode, each expected to
    /// succeed; the episode's end is logged only with the last one.
    private func postUntilTheEpisodeEnds(_ prefix: String, _ client: RPCClient, _ acknowledged: inout [String])
        async throws
    {
        for index in 0..<FaultEpisodes.commitsEndingAnEpisode {
            let text = "\(prefix) \(index)"
            let error = try await post(text, client)
            #expect(error == nil, "\(String(describing: error))")
            if error == nil { acknowledged.append(text) }
        }
    }

    @Test func smallWritesFittingBetweenRefusedLargeOnesOnANearlyFullDiskAreOneEpisode() async throws {
        try await Tmpfs.with(options: "size=2m") { disk in
            try await BatondProcess.with(["--demo", "--database", "\(disk)/baton.sqlite"]) { batond in
                let client = try await RPCClient.connect(socketPath: batond.socketPath)
                let large = String(repeating: "lorem ipsum ", count: 1_300)
                let filler = try fill(disk)
                var refusals = 0
                for index in 0..<2_000 where refusals == 0 {
                    if try await post("large \(index) \(large)", client) != nil { refusals += 1 }
                }
                try #require(refusals == 1, "2,000 posts fit on a full 2 MB disk")

                // Room for a small write, taken back before each large one: what a disk shared
                // with other writers looks like.
                var smallAcknowledged = 0
                for index in 0..<10 {
                    var info = stat()
                    try #require(stat(filler, &info) == 0)
                    try #require(truncate(filler, max(0, info.st_size - (64 << 10))) == 0)
                    if try await post("small \(index)", client) == nil { smallAcknowledged += 1 } else { refusals += 1 }
                    try fill(disk)
                    let refused = try await post("large again \(index) \(large)", client)
                    #expect(refused?.code == .resourceExhausted, "\(String(describing: refused))")
                    if refused != nil { refusals += 1 }
                }
                try #require(smallAcknowledged > 0, "no small write fitted between the large ones")
                #expect(lines("error", containing: "out of disk space", in: batond.log).count == 1, "\(batond.log)")
                #expect(lines("info", containing: "disk space again", in: batond.log).isEmpty, "\(batond.log)")

                try FileManager.default.removeItem(atPath: filler)
                var acknowledged: [String] = []
                try await postUntilTheEpisodeEnds("after", client, &acknowledged)
                await client.close()
                let recovered = lines("info", containing: "disk space again", in: batond.log)
                #expect(recovered.count == 1, "\(batond.log)")
                #expect(failedCalls(in: recovered.first) >= refusals, "\(batond.log)")
            }
        }
    }

    @Test func aDiskRefusingWritesAnswersUnavailableLogsOnceAndResumes() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let database = "\(batond.folder)/data/baton.sqlite"
            // The -shm file stays writable: SQLite maps it, and a mapped page that cannot be
            // written is a SIGBUS, not an error.
            let files = [database, database + "-wal"]
            try requireImmutableFlagStopsOpenFiles(in: batond.folder)
            let client = try await RPCClient.connect(socketPath: batond.socketPath)
            #expect(try await post("before", client) == nil)
            try chattr("+i", files)
            defer { try? chattr("-i", files) }

            for index in 0..<3 {
                let error = try await post("refused \(index)", client)
                #expect(error?.code == .unavailable, "\(String(describing: error))")
                #expect(error?.message == "the store cannot write to its disk; the change was not saved")
            }
            #expect(lines("error", containing: "refuses writes", in: batond.log).count == 1, "\(batond.log)")

            try chattr("-i", files)
            var acknowledged: [String] = []
            try await postUntilTheEpisodeEnds("after", client, &acknowledged)
            await client.close()
            let recovered = lines("info", containing: "takes writes again", in: batond.log)
            #expect(recovered.count == 1, "\(batond.log)")
            #expect(failedCalls(in: recovered.first) >= 3, "\(batond.log)")
            let kept = try await transcript(batond)
            #expect(kept.isSuperset(of: ["before"] + acknowledged))
            #expect(kept.isDisjoint(with: ["refused 0", "refused 1", "refused 2"]))
        }
    }

    /// Fails the test, saying why, unless the immutable flag stops writes through a descriptor
    /// opened before it was set on the file system of `folder` (tmpfs accepts the flag but
    /// lets such writes through).
    private func requireImmutableFlagStopsOpenFiles(in folder: String) throws {
        let probe = "\(folder)/immutable-probe"
        let fd = open(probe, O_WRONLY | O_CREAT, 0o600)
        try #require(fd >= 0)
        defer {
            close(fd)
            try? chattr("-i", [probe])
            unlink(probe)
        }
        try chattr("+i", [probe])
        let written = write(fd, "x", 1)
        try #require(
            written < 0,
            "\(folder)'s file system lets writes through to an immutable file; the test needs ext4, xfs or btrfs"
        )
    }

    /// Sets or clears (`+i`, `-i`) the immutable flag of `files`: writes to them fail even
    /// through descriptors opened before, even for root. It needs a file system that has the
    /// flag (ext4, xfs, btrfs; not tmpfs) and root, which the tests have here and in CI.
    private func chattr(_ flag: String, _ files: [String]) throws {
        let result = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["chattr", flag] + files)
        try #require(
            result.exited(with: 0),
            "chattr \(flag) needs root and a file system with the flag: \(result.standardError)"
        )
    }
}
