import Baton
import BatonProtos
import BatonRPC
import Foundation

// The client of tools/benchmarks/postgres-transfer.sh: drives batonds that share one PostgreSQL
// database over their sockets, as applications do.
//   transfers: --callers C callers, spread over the sockets in turn, each moving a chat of its own
//     between two reps of its own (so that callers contend on nothing but the server) for
//     --seconds D; prints transfers/s in aggregate and the p50 and p99 of a call.
//   availability: a 10-rep team over 31 days, each rep with up to 200 booked meetings in the
//     range; prints the p50 and p99 of --queries N sequential QueryAvailability calls.
// Output: one key=value line per measurement, for the script to print.

let arguments = CommandLine.arguments
func value(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
func count(_ name: String, _ fallback: Int) -> Int { max(1, value(name).flatMap { Int($0) } ?? fallback) }

let sockets = (value("--sockets") ?? "").split(separator: ",").map(String.init)
let callers = count("--callers", 16)
let seconds = count("--seconds", 5)
let queries = count("--queries", 200)
guard !sockets.isEmpty else {
    let usage = "usage: baton-postgres-benchmark --sockets A,B [--callers C] [--seconds D] [--queries N]\n"
    FileHandle.standardError.write(Data(usage.utf8))
    exit(64)
}

func call<Response: ProtoMessage>(
    _ client: RPCClient,
    _ method: String,
    _ request: some ProtoMessage,
    as: Response.Type = Response.self
) async throws -> Response {
    try await client.unary("/baton.v1.\(method)", request, as: Response.self)
}

func percentile(_ sorted: [Duration], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))
    let (seconds, attoseconds) = sorted[index].components
    return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
}

func upsertRep(_ client: RPCClient, _ id: String, team: String, zone: String = "UTC") async throws {
    var upsert = Baton_V1_UpsertRepRequest()
    upsert.rep = Baton_V1_Rep()
    upsert.rep!.id = id
    upsert.rep!.displayName = id
    upsert.rep!.teamIDs = [team]
    upsert.rep!.timeZone = zone
    let _: Baton_V1_UpsertRepResponse = try await call(client, "Reps/UpsertRep", upsert)
    var presence = Baton_V1_SetPresenceRequest()
    presence.repID = id
    presence.presence = .loggedIn
    presence.status = .available
    let _: Baton_V1_SetPresenceResponse = try await call(client, "Reps/SetPresence", presence)
}

func upsertTeam(_ client: RPCClient, _ id: String) async throws {
    var team = Baton_V1_UpsertTeamRequest()
    team.team = Baton_V1_Team()
    team.team!.id = id
    team.team!.name = id
    let _: Baton_V1_UpsertTeamResponse = try await call(client, "Reps/UpsertTeam", team)
}

func transfers(_ clients: [RPCClient]) async throws {
    try await upsertTeam(clients[0], "bench")
    var chats: [String] = []
    for caller in 0..<callers {
        try await upsertRep(clients[0], "a-\(caller)", team: "bench")
        try await upsertRep(clients[0], "b-\(caller)", team: "bench")
        var start = Baton_V1_StartChatRequest()
        start.visitor = Baton_V1_Visitor()
        start.visitor!.id = "visitor-\(caller)"
        start.visitor!.name = "Visitor \(caller)"
        start.ownerRepID = "a-\(caller)"
        start.firstMessage = "Hello"
        let started: Baton_V1_StartChatResponse = try await call(clients[0], "Chats/StartChat", start)
        chats.append(started.chat!.id)
    }
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(seconds)
    let started = clock.now
    let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
        for caller in 0..<callers {
            let client = clients[caller % clients.count]
            let chat = chats[caller]
            group.addTask {
                var latencies: [Duration] = []
                var owner = "a-\(caller)"
                var other = "b-\(caller)"
                while clock.now < deadline {
                    var request = Baton_V1_TransferRequest()
                    request.chatID = chat
                    request.actingRepID = owner
                    request.targetRepID = other
                    request.mode = .direct
                    let before = clock.now
                    let _: Baton_V1_TransferChatResponse = try await call(client, "Chats/TransferChat", request)
                    latencies.append(clock.now - before)
                    swap(&owner, &other)
                }
                return latencies
            }
        }
        var all: [Duration] = []
        for try await latencies in group { all += latencies }
        return all.sorted()
    }
    let elapsed = clock.now - started
    let (whole, fraction) = elapsed.components
    let rate = Double(latencies.count) / (Double(whole) + Double(fraction) / 1e18)
    print(
        "transfers callers=\(callers) batonds=\(sockets.count) count=\(latencies.count)"
            + " per_s=\(Int(rate)) p50_us=\(Int(percentile(latencies, 0.5))) p99_us=\(Int(percentile(latencies, 0.99)))"
    )
}

func availability(_ client: RPCClient) async throws {
    let zones = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu"]
    let now = Date().timeIntervalSince1970
    let start = Date(timeIntervalSince1970: (now / 86400).rounded(.down) * 86400 + 86400)
    let end = start.addingTimeInterval(31 * 86400)
    try await upsertTeam(client, "calendar")
    var booked = 0
    for index in 0..<10 {
        let id = "calendar-\(index)"
        try await upsertRep(client, id, team: "calendar", zone: zones[index % zones.count])
        // Weekdays 08:00-12:00 and 13:00-19:00, 30-minute meetings on a 30-minute step.
        var request = Baton_V1_SetScheduleRequest()
        var schedule = Baton_V1_Schedule()
        schedule.repID = id
        schedule.timeZone = zones[index % zones.count]
        for weekday in 1...5 {
            var hours = Baton_V1_WeekdayHours()
            hours.weekday = Baton_V1_Weekday(rawValue: Int32(weekday))
            for (from, to) in [(480, 720), (780, 1140)] as [(UInt32, UInt32)] {
                var interval = Baton_V1_LocalInterval()
                interval.startMinute = from
                interval.endMinute = to
                hours.intervals.append(interval)
            }
            schedule.weeklyHours.append(hours)
        }
        var settings = Baton_V1_MeetingSettings()
        settings.bookingHorizonDays = 365
        schedule.meetingSettings = settings
        request.schedule = schedule
        let _: Baton_V1_SetScheduleResponse = try await call(client, "Calendars/SetSchedule", request)
        // Every other free slot booked, then the rest, until 200 are.
        var query = Baton_V1_QueryAvailabilityRequest()
        query.repIDs = [id]
        query.startTime = Google_Protobuf_Timestamp(start)
        query.endTime = Google_Protobuf_Timestamp(end)
        let free: Baton_V1_QueryAvailabilityResponse = try await call(client, "Calendars/QueryAvailability", query)
        let order = free.slots.indices.filter { $0 % 2 == 0 } + free.slots.indices.filter { $0 % 2 == 1 }
        for index in order.prefix(200) {
            var book = Baton_V1_BookMeetingRequest()
            book.repID = id
            book.startTime = free.slots[index].startTime
            book.visitor = Baton_V1_Visitor()
            book.visitor!.name = "Visitor"
            book.visitor!.email = "visitor@example.org"
            let _: Baton_V1_BookMeetingResponse = try await call(client, "Calendars/BookMeeting", book)
            booked += 1
        }
    }
    var query = Baton_V1_QueryAvailabilityRequest()
    query.teamID = "calendar"
    query.startTime = Google_Protobuf_Timestamp(start)
    query.endTime = Google_Protobuf_Timestamp(end)
    let clock = ContinuousClock()
    var latencies: [Duration] = []
    var slots = 0
    // A few first, unmeasured: connections, caches.
    for _ in 0..<20 {
        let _: Baton_V1_QueryAvailabilityResponse = try await call(client, "Calendars/QueryAvailability", query)
    }
    for _ in 0..<queries {
        let before = clock.now
        let response: Baton_V1_QueryAvailabilityResponse = try await call(client, "Calendars/QueryAvailability", query)
        latencies.append(clock.now - before)
        slots = response.slots.count
    }
    latencies.sort()
    print(
        "availability reps=10 days=31 meetings=\(booked) slots=\(slots) queries=\(queries)"
            + " p50_us=\(Int(percentile(latencies, 0.5))) p99_us=\(Int(percentile(latencies, 0.99)))"
    )
}

/// Waits until the batond on `socket` serves (it migrates the schema first).
func waitUntilServing(_ socket: String) async throws {
    let client = try await RPCClient.connect(socketPath: socket)
    defer { Task { await client.close() } }
    for try await health in try await client.serverStreaming(
        "/baton.rpc.v1.Health/Watch",
        Baton_Rpc_V1_HealthCheckRequest(),
        as: Baton_Rpc_V1_HealthCheckResponse.self,
        timeout: .seconds(60)
    ) where health.status == .serving {
        return
    }
}

for socket in sockets { try await waitUntilServing(socket) }
var clients: [RPCClient] = []
for caller in 0..<callers { clients.append(try await RPCClient.connect(socketPath: sockets[caller % sockets.count])) }
try await transfers(clients)
try await availability(clients[0])
for client in clients { await client.close() }
