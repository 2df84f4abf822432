import Baton
import BatonProtos
import BatonStore
import Foundation
import GRDB

// Transfer benchmark: direct TransferChat calls through `Handoff` (what the Chats service runs)
// on a fresh SQLite store, each one acknowledged only once committed, against the floor: a raw
// insert-and-commit loop of the same row count through the same kind of GRDB connection (a
// DatabasePool: WAL, the same `synchronous`), one transaction per row. For each durability mode
// (NORMAL, then FULL), in one process and run, alternating rounds so machine noise hits both
// sides alike. Then 8 tasks at once on different chats, for both sides. Each side also shows
// the process's CPU time per commit or transfer (every thread, user and system).
// Run: swift run -c release baton-transfer-benchmark [--transfers N] [--chats N] [--rounds N]
//      [--tasks N] [--bare] [--normal-only]   (--bare: no note, visitor message or idempotency
//      key; --normal-only: skip the FULL half, e.g. when profiling)
// The concurrent Baton line ends with how many SQLite transactions the transfers took (the store
// commits writes that queue up together). Each Baton line says whether it meets its target
// (issue 11): one caller's p50 at most 150 us, at least 10,000 transfers/s with 8 callers.

let arguments = CommandLine.arguments
func argument(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return max(1, Int(arguments[index + 1]) ?? fallback)
}
let transfers = argument("--transfers", 5_000)
let chatCount = argument("--chats", 200)
let rounds = min(argument("--rounds", 5), transfers)
let taskCount = argument("--tasks", 8)
let bare = arguments.contains("--bare")
let normalOnly = arguments.contains("--normal-only")
/// Issue 11's targets: with `taskCount` callers at once, transfers per second; one caller's p50.
let concurrentTarget = 10_000.0
let sequentialP50TargetMicros = 150.0
let chatsPerPair = 10
let pairCount = max(1, (chatCount + chatsPerPair - 1) / chatsPerPair)
let warmUp = min(200, max(1, transfers / 10))

let folder = String(cString: mkdtemp(strdup(NSTemporaryDirectory() + "baton-transfer-bench-XXXXXX"))!)
/// The type of the filesystem holding `path` (the longest mount point above it), from /proc/mounts.
func filesystemType(_ path: String) -> String? {
    guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
    let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    var best: (point: String, type: String)? = nil
    for line in mounts.split(separator: "\n") {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count > 2 else { continue }
        let point = fields[1]
        let prefix = point == "/" ? "/" : point + "/"
        guard resolved == point || resolved.hasPrefix(prefix) else { continue }
        if point.count >= (best?.point.count ?? -1) { best = (point, fields[2]) }
    }
    return best?.type
}
// A commit's cost is the disk's: on tmpfs `synchronous` syncs nothing, so say so.
let onTmpfs = filesystemType(folder) == "tmpfs"
func removeFolder() { try? FileManager.default.removeItem(atPath: folder) }
func fail(_ message: String) -> Never {
    removeFolder()
    fatalError(message)
}

// MARK: Measuring

let clock = ContinuousClock()
func nanoseconds(_ duration: Duration) -> UInt64 {
    UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
}
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The CPU time (user + system, every thread) this process used so far, in microseconds: the
/// steadiest figure on a shared machine, where wall-clock rates move with the other work.
func processCPUMicros() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec)
    return user + Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec)
}

/// Latencies, elapsed time and process CPU time of one side of a comparison, over all rounds.
struct Sample {
    var latencies: [UInt64] = []
    var elapsed: Duration = .zero
    var cpuMicros = 0.0
    var perSecond: Double { Double(latencies.count) / seconds(elapsed) }
    var cpuPerOperation: Double { cpuMicros / Double(latencies.count) }
    func percentile(_ fraction: Double) -> Double {
        let sorted = latencies.sorted()
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
    }
}

// MARK: Baton side

/// A chat and the two reps it goes back and forth between.
struct BenchChat: Sendable {
    var id: String
    var owner: String
    var other: String
}

func repID(_ index: Int) -> String { "rep-\(index)" }

/// A fresh store with one team, `pairCount` pairs of available reps with room for every chat of
/// their pair, and `chatCount` chats (chat i belongs to pair i mod pairCount), all through Handoff.
func seed(_ handoff: Handoff) async throws -> [BenchChat] {
    var team = Baton_V1_Team()
    team.id = "bench"
    team.name = "Bench"
    var upsertTeam = Baton_V1_UpsertTeamRequest()
    upsertTeam.team = team
    _ = try await handoff.upsertTeam(upsertTeam, caller: .server)
    for index in 0..<(2 * pairCount) {
        var rep = Baton_V1_Rep()
        rep.id = repID(index)
        rep.displayName = "Rep \(index)"
        rep.email = "rep\(index)@example.com"
        rep.teamIDs = ["bench"]
        rep.timeZone = "Europe/Lisbon"
        rep.role = .rep
        rep.maxActiveChats = UInt32(chatsPerPair + 2)
        var upsert = Baton_V1_UpsertRepRequest()
        upsert.rep = rep
        _ = try await handoff.upsertRep(upsert, caller: .server)
        var presence = Baton_V1_SetPresenceRequest()
        presence.repID = rep.id
        presence.presence = .loggedIn
        presence.status = .available
        _ = try await handoff.setPresence(presence, caller: .server)
    }
    var chats: [BenchChat] = []
    for index in 0..<chatCount {
        let pair = index % pairCount
        var start = Baton_V1_StartChatRequest()
        var visitor = Baton_V1_Visitor()
        visitor.id = "visitor-\(index)"
        visitor.name = "Visitor \(index)"
        start.visitor = visitor
        start.ownerRepID = repID(2 * pair)
        start.teamID = "bench"
        start.firstMessage = "Hi! Does the Enterprise plan include SSO?"
        let chat = try await handoff.startChat(start, caller: .server).chat!
        chats.append(BenchChat(id: chat.id, owner: repID(2 * pair), other: repID(2 * pair + 1)))
    }
    return chats
}

/// One direct transfer of `chat` from its owner to the other rep of its pair; returns its latency.
func transfer(_ handoff: Handoff, _ chat: inout BenchChat, key: String) async throws -> UInt64 {
    var request = Baton_V1_TransferRequest()
    request.chatID = chat.id
    request.actingRepID = chat.owner
    request.targetRepID = chat.other
    request.mode = .direct
    if !bare {
        request.note = "Visitor asks about volume pricing for 250 seats; already on Okta."
        request.visitorMessage = "I'm handing you to a colleague who handles pricing."
        request.idempotencyKey = key
    }
    let start = clock.now
    let response = try await handoff.transferChat(request, caller: Caller(requestID: key))
    let latency = nanoseconds(clock.now - start)
    guard response.outcome == .transferred, response.chat?.ownerRepID == chat.other else {
        fail("transfer \(key) of \(chat.id) did not move the chat: \(response)")
    }
    swap(&chat.owner, &chat.other)
    return latency
}

// MARK: Raw side

/// The same kind of connection SQLiteStore opens, opened the same way (`SQLiteStore.openPool`).
func rawPool(_ path: String, durability: SQLiteStore.Durability) throws -> DatabasePool {
    let pool = try SQLiteStore.openPool(path: path, durability: durability)
    try pool.write { db in
        try db.execute(sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY, chat_id TEXT NOT NULL, data BLOB NOT NULL)")
    }
    return pool
}

let rawPayload = Data(repeating: 0x5a, count: 200)

/// One INSERT in its own transaction, run the way SQLiteStore runs a write that finds the writer
/// idle: on the caller's thread.
func rawCommit(_ pool: DatabasePool, _ index: Int) throws -> UInt64 {
    let start = clock.now
    try pool.write { db in
        try db.cachedStatement(sql: "INSERT INTO rows (chat_id, data) VALUES (?, ?)")
            .execute(arguments: ["chat-\(index % 200)", rawPayload])
    }
    return nanoseconds(clock.now - start)
}

// MARK: Output

func format(_ value: Double, digits: Int = 0) -> String {
    if digits == 0 { return String(Int(value.rounded())) }
    let scale = pow(10.0, Double(digits))
    return String((value * scale).rounded() / scale)
}
func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}
func padRight(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

/// One aligned line: raw commits/s (latency, CPU per commit), Baton transfers/s (latency, CPU
/// per transfer), the ratio, then `verdict`.
func row(
    _ mode: String,
    _ kind: String,
    raw: Double,
    rawLatency: (Double, Double)?,
    rawCPU: Double,
    baton: Double,
    batonLatency: (Double, Double)?,
    batonCPU: Double,
    verdict: String
) -> String {
    func latency(_ values: (Double, Double)?) -> String {
        guard let (p50, p99) = values else { return String(repeating: " ", count: 31) }
        let p50Text = pad(format(p50, digits: 1), 7)
        let p99Text = pad(format(p99, digits: 1), 7)
        return "  p50 \(p50Text) us  p99 \(p99Text) us"
    }
    let parts: [String] = [
        padRight(mode, 7), padRight(kind, 11),
        " raw ", pad(format(raw), 6), " commits/s", latency(rawLatency),
        "  CPU ", pad(format(rawCPU, digits: 1), 5), " us",
        " | Baton ", pad(format(baton), 6), " transfers/s", latency(batonLatency),
        "  CPU ", pad(format(batonCPU, digits: 1), 6), " us",
        " | ratio ", format(baton / raw, digits: 3),
        " | ", verdict,
    ]
    return parts.joined()
}

/// "target X: met" or "target X: NOT met"; the targets hold the default durability (NORMAL) only.
func verdict(_ target: String, met: Bool, durability: SQLiteStore.Durability) -> String {
    guard durability == .processCrash else { return "no target for FULL" }
    return "target \(target): " + (met ? "met" : "NOT met")
}

// MARK: Run

let contents =
    bare ? "owner change + audit line" : "owner change + audit line + note + visitor message + idempotency key"
print(
    "transfer benchmark: \(transfers) direct transfers (\(contents)) over \(chatCount) chats, "
        + "\(2 * pairCount) reps; raw = 1 INSERT + COMMIT per row; \(rounds) alternating rounds; "
        + "\(taskCount) tasks concurrent"
)

if onTmpfs { print("warning: \(folder) is on tmpfs, where commits never reach a disk; set TMPDIR elsewhere") }

do {
    let modes: [(String, SQLiteStore.Durability)] = [("NORMAL", .processCrash), ("FULL", .powerLoss)]
    for (name, durability) in normalOnly ? Array(modes.prefix(1)) : modes {
        let storePath = "\(folder)/\(name).sqlite"
        let store = try SQLiteStore(path: storePath, durability: durability)
        let handoff = Handoff(store: store)
        let pool = try rawPool("\(folder)/\(name)-raw.sqlite", durability: durability)
        let rawSetting = try pool.writeWithoutTransaction { db in
            try (
                String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            )
        }
        guard try (store.journalMode(), store.synchronousSetting()) == rawSetting, rawSetting.0 == "wal" else {
            fail("the raw connection's settings \(rawSetting) differ from the store's")
        }
        var chats = try await seed(handoff)
        var rawIndex = 0
        var transferIndex = 0

        // Warm-up: compile statements, fault pages in.
        for _ in 0..<warmUp {
            _ = try rawCommit(pool, rawIndex)
            rawIndex += 1
            _ = try await transfer(handoff, &chats[transferIndex % chatCount], key: "\(name)-warm-\(transferIndex)")
            transferIndex += 1
        }

        // Sequential: alternating rounds of raw commits and transfers, same count on each side.
        var raw = Sample()
        var baton = Sample()
        raw.latencies.reserveCapacity(transfers)
        baton.latencies.reserveCapacity(transfers)
        for round in 0..<rounds {
            let count = transfers / rounds + (round < transfers % rounds ? 1 : 0)
            var start = clock.now
            var cpu = processCPUMicros()
            for _ in 0..<count {
                raw.latencies.append(try rawCommit(pool, rawIndex))
                rawIndex += 1
            }
            raw.elapsed += clock.now - start
            raw.cpuMicros += processCPUMicros() - cpu
            start = clock.now
            cpu = processCPUMicros()
            for _ in 0..<count {
                baton.latencies.append(
                    try await transfer(handoff, &chats[transferIndex % chatCount], key: "\(name)-\(transferIndex)")
                )
                transferIndex += 1
            }
            baton.elapsed += clock.now - start
            baton.cpuMicros += processCPUMicros() - cpu
        }
        print(
            row(
                name,
                "sequential",
                raw: raw.perSecond,
                rawLatency: (raw.percentile(0.5), raw.percentile(0.99)),
                rawCPU: raw.cpuPerOperation,
                baton: baton.perSecond,
                batonLatency: (baton.percentile(0.5), baton.percentile(0.99)),
                batonCPU: baton.cpuPerOperation,
                verdict: verdict(
                    "p50 <= \(format(sequentialP50TargetMicros)) us",
                    met: baton.percentile(0.5) <= sequentialP50TargetMicros,
                    durability: durability
                )
            )
        )

        // Concurrent: `taskCount` tasks at once, each on its own chats (raw: its own rows).
        let perTask = max(1, transfers / taskCount)
        var start = clock.now
        var cpu = processCPUMicros()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<taskCount {
                let base = rawIndex + task * perTask
                group.addTask {
                    for offset in 0..<perTask { _ = try rawCommit(pool, base + offset) }
                }
            }
            try await group.waitForAll()
        }
        let rawConcurrent = Double(perTask * taskCount) / seconds(clock.now - start)
        let rawCPU = (processCPUMicros() - cpu) / Double(perTask * taskCount)
        let partitions = (0..<taskCount).map { task in
            stride(from: task, to: chatCount, by: taskCount).map { chats[$0] }
        }
        let commitsBefore = store.committedTransactionCount()
        start = clock.now
        cpu = processCPUMicros()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (task, partition) in partitions.enumerated() where !partition.isEmpty {
                group.addTask {
                    var mine = partition
                    for offset in 0..<perTask {
                        _ = try await transfer(handoff, &mine[offset % mine.count], key: "\(name)-t\(task)-\(offset)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let busyTasks = partitions.filter { !$0.isEmpty }.count
        let commits = store.committedTransactionCount() - commitsBefore
        let batonConcurrent = Double(perTask * busyTasks) / seconds(clock.now - start)
        let batonCPU = (processCPUMicros() - cpu) / Double(perTask * busyTasks)
        print(
            row(
                name,
                "\(taskCount) tasks",
                raw: rawConcurrent,
                rawLatency: nil,
                rawCPU: rawCPU,
                baton: batonConcurrent,
                batonLatency: nil,
                batonCPU: batonCPU,
                verdict: verdict(
                    "\(format(concurrentTarget))/s",
                    met: batonConcurrent >= concurrentTarget,
                    durability: durability
                )
            )
                + " | \(commits) commits"
        )

        try store.close()
        try pool.close()
    }
} catch {
    fail("benchmark failed: \(error)")
}
removeFolder()
