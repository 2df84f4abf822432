import Baton
import BatonProtos
import BatonStore
import Foundation

// Availability benchmark: Calendars/QueryAvailability through `Handoff` (what the Calendars
// service runs) for a 10-rep team over 31 days, each rep with 200 booked meetings in that range,
// on a fresh SQLite store. Prints p50 and p99 of the query; the target is a p50 under 5 ms.
// Run: swift run -c release baton-availability-benchmark [--queries N]

let arguments = CommandLine.arguments
func argument(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return max(1, Int(arguments[index + 1]) ?? fallback)
}
let queries = argument("--queries", 300)
let repCount = 10
let meetingsPerRep = 200
let targetMillis = 5.0
let zones = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu"]

let folder = String(cString: mkdtemp(strdup(NSTemporaryDirectory() + "baton-availability-bench-XXXXXX"))!)
defer { try? FileManager.default.removeItem(atPath: folder) }
/// Monday 2026-06-01, 00:00 UTC: the clock and the start of the range.
let start = Date(timeIntervalSince1970: 1_780_272_000)
let end = start.addingTimeInterval(31 * 86400)

func run() async throws {
    let store = try SQLiteStore(path: "\(folder)/baton.sqlite")
    let handoff = Handoff(store: store, clock: ManualClock(start))
    let caller = Caller(requestID: "benchmark")
    var team = Baton_V1_UpsertTeamRequest()
    team.team = Baton_V1_Team()
    team.team!.id = "sales"
    team.team!.name = "Sales"
    _ = try await handoff.upsertTeam(team, caller: caller)
    for index in 0..<repCount {
        let id = "rep-\(index)"
        var upsert = Baton_V1_UpsertRepRequest()
        upsert.rep = Baton_V1_Rep()
        upsert.rep!.id = id
        upsert.rep!.displayName = "Rep \(index)"
        upsert.rep!.teamIDs = ["sales"]
        upsert.rep!.timeZone = zones[index % zones.count]
        _ = try await handoff.upsertRep(upsert, caller: caller)
        // Weekdays 08:00-12:00 and 13:00-19:00, 30-minute meetings on a 30-minute step.
        var schedule = Baton_V1_Schedule()
        schedule.repID = id
        for weekday in 1...5 {
            var hours = Baton_V1_WeekdayHours()
            hours.weekday = Baton_V1_Weekday(rawValue: Int32(weekday))
            for (from, to) in [(480, 720), (780, 1140)] {
                var interval = Baton_V1_LocalInterval()
                interval.startMinute = UInt32(from)
                interval.endMinute = UInt32(to)
                hours.intervals.append(interval)
            }
            schedule.weeklyHours.append(hours)
        }
        var settings = Baton_V1_MeetingSettings()
        settings.bookingHorizonDays = 365
        schedule.meetingSettings = settings
        var set = Baton_V1_SetScheduleRequest()
        set.schedule = schedule
        _ = try await handoff.setSchedule(set, caller: caller)
        // Book every other free slot first, then fill in, until 200 meetings are booked.
        var query = Baton_V1_QueryAvailabilityRequest()
        query.repIDs = [id]
        query.startTime = Google_Protobuf_Timestamp(start)
        query.endTime = Google_Protobuf_Timestamp(end)
        let slots = try await handoff.queryAvailability(query).slots
        let order = slots.indices.filter { $0 % 2 == 0 } + slots.indices.filter { $0 % 2 == 1 }
        guard order.count >= meetingsPerRep else { fatalError("only \(order.count) free slots for \(id)") }
        for index in order.prefix(meetingsPerRep) {
            var book = Baton_V1_BookMeetingRequest()
            book.repID = id
            book.startTime = slots[index].startTime
            book.visitor = Baton_V1_Visitor()
            book.visitor!.name = "Visitor \(index)"
            _ = try await handoff.bookMeeting(book, caller: caller)
        }
    }

    var query = Baton_V1_QueryAvailabilityRequest()
    query.teamID = "sales"
    query.startTime = Google_Protobuf_Timestamp(start)
    query.endTime = Google_Protobuf_Timestamp(end)
    let clock = ContinuousClock()
    var slotCount = 0
    for _ in 0..<20 { slotCount = try await handoff.queryAvailability(query).slots.count }
    var samples: [Double] = []
    for _ in 0..<queries {
        let began = clock.now
        _ = try await handoff.queryAvailability(query)
        let elapsed = clock.now - began
        samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
    }
    samples.sort()
    let p50 = samples[samples.count / 2]
    let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
    print(
        "QueryAvailability, team of \(repCount) reps, 31 days, \(meetingsPerRep) meetings per rep,"
            + " \(slotCount) free slots"
    )
    let verdict = p50 < targetMillis ? "met" : "NOT met"
    print(
        String(format: "p50 %.2f ms, p99 %.2f ms over %d queries", p50, p99, queries)
            + " (target: p50 under \(Int(targetMillis)) ms: \(verdict))"
    )
    try store.close()
}

try await run()
