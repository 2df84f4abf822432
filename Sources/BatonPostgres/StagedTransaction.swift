import Baton
import BatonProtos
import Foundation

/// The store as one run of a body sees it (the staged replay, the lead's chosen shape for
/// running the domain's synchronous bodies on an async driver without blocking a thread).
///
/// A read is answered from the `ReplayLog` when an earlier run asked it; the first read past the
/// log throws `StagedReadMiss`, the store asks the server and runs the body again from the start.
/// Writes are appended to the log and reach the server only before the next read that misses or
/// at commit, in the order made, so every read the server answers sees the body's own earlier
/// writes exactly as SQLite's would (an aggregate such as an active-chat count included) without
/// re-implementing each query over staged rows. Events are the exception: they are inserted
/// last, when their sequences are taken (see `PostgresSession.commitEvents`); the domain never
/// reads the log back in the write that appends to it.
///
/// Reads by id of a row this run already read or wrote are answered from the run's own record,
/// without a call: the domain looks the same rep up many times (every event names its reps'
/// teams). Every run rebuilds that record identically, so it changes no call's position.
final class StagedTransaction: StoreTransaction {
    private let log: ReplayLog
    /// The position of the next call in the log.
    private var position = 0
    /// Rows read or written by id in this run, by the read that returns them.
    private var known: [KnownKey: StagedAnswer] = [:]
    /// The events this run appended, in order, their sequences not assigned yet.
    private(set) var events: [Baton_V1_Event] = []

    private enum KnownKey: Hashable {
        case rep(String), team(String), chat(String), transfer(String), schedule(String), meeting(String)
        case remembered(method: String, key: String)
        case teams
    }

    init(log: ReplayLog) { self.log = log }

    // MARK: The replay

    private func ask(_ read: StagedRead) throws -> StagedAnswer {
        guard position < log.count else { throw StagedReadMiss(read: read) }
        defer { position += 1 }
        guard case .read(let asked, let answer) = log[position], asked == read else {
            // Bodies are pure given their reads; one that asks differently on a rerun is a bug.
            throw StoreFailure(.internal, detail: "a body asked \(read) on replay where it asked otherwise before")
        }
        return answer
    }

    private func record(_ write: StagedWrite) {
        if position == log.count { log.append(.write(write)) }
        position += 1
    }

    /// `read`'s answer, from this run's record under `key` when it has one.
    private func askKnown(_ key: KnownKey, _ read: StagedRead) throws -> StagedAnswer {
        if let answer = known[key] { return answer }
        let answer = try ask(read)
        known[key] = answer
        return answer
    }

    private func mismatch(_ read: StagedRead) -> StoreFailure {
        StoreFailure(.internal, detail: "the answer to \(read) has another shape")
    }

    // MARK: Reads

    func rep(_ id: String) throws -> Baton_V1_Rep? {
        guard case .rep(let rep) = try askKnown(.rep(id), .rep(id)) else { throw mismatch(.rep(id)) }
        return rep
    }

    func reps() throws -> [Baton_V1_Rep] {
        guard case .reps(let reps) = try ask(.reps) else { throw mismatch(.reps) }
        return reps
    }

    func reps(ids: [String]) throws -> [Baton_V1_Rep] {
        let sorted = Set(ids).sorted()
        let unknown = sorted.filter { known[.rep($0)] == nil }
        if !unknown.isEmpty {
            guard case .reps(let found) = try ask(.repsByID(unknown)) else { throw mismatch(.repsByID(unknown)) }
            for id in unknown { known[.rep(id)] = .rep(nil) }
            for rep in found { known[.rep(rep.id)] = .rep(rep) }
        }
        return sorted.compactMap { id in
            if case .rep(let rep) = known[.rep(id)] { return rep }
            return nil
        }
    }

    func reps(after id: String, limit: Int) throws -> [Baton_V1_Rep] {
        let read = StagedRead.repsAfter(id, limit: limit)
        guard case .reps(let reps) = try ask(read) else { throw mismatch(read) }
        return reps
    }

    func team(_ id: String) throws -> Baton_V1_Team? {
        guard case .team(let team) = try askKnown(.team(id), .team(id)) else { throw mismatch(.team(id)) }
        return team
    }

    func teams() throws -> [Baton_V1_Team] {
        guard case .teams(let teams) = try askKnown(.teams, .teams) else { throw mismatch(.teams) }
        return teams
    }

    func teams(after id: String, limit: Int) throws -> [Baton_V1_Team] {
        let read = StagedRead.teamsAfter(id, limit: limit)
        guard case .teams(let teams) = try ask(read) else { throw mismatch(read) }
        return teams
    }

    func chat(_ id: String) throws -> Baton_V1_Chat? {
        guard case .chat(let chat) = try askKnown(.chat(id), .chat(id)) else { throw mismatch(.chat(id)) }
        return chat
    }

    func chats(
        ownerRepID: String?,
        teamID: String?,
        state: Baton_V1_ChatState?,
        after position: ChatListPosition?,
        limit: Int
    ) throws -> [Baton_V1_Chat] {
        let read = StagedRead.chats(
            .init(
                ownerRepID: ownerRepID,
                teamID: teamID,
                state: state?.rawValue,
                afterUpdatedAt: position.map { storedMicros($0.updatedAt.date) },
                afterID: position?.id,
                limit: limit
            )
        )
        guard case .chats(let chats) = try ask(read) else { throw mismatch(read) }
        return chats
    }

    func activeChatCount(repID: String) throws -> Int {
        let read = StagedRead.activeChatCount(repID: repID)
        guard case .count(let count) = try ask(read) else { throw mismatch(read) }
        return count
    }

    func activeChatCounts(repIDs: [String]) throws -> [String: Int] {
        guard !repIDs.isEmpty else { return [:] }
        let read = StagedRead.activeChatCounts(repIDs: Set(repIDs).sorted())
        guard case .counts(let counts) = try ask(read) else { throw mismatch(read) }
        return counts
    }

    func entries(chatID: String, after: UInt64, limit: Int?, everyoneOnly: Bool) throws -> [Baton_V1_TranscriptEntry] {
        let read = StagedRead.entries(chatID: chatID, after: after, limit: limit, everyoneOnly: everyoneOnly)
        guard case .entries(let entries) = try ask(read) else { throw mismatch(read) }
        return entries
    }

    func transfer(_ id: String) throws -> Baton_V1_PendingTransfer? {
        guard case .transfer(let transfer) = try askKnown(.transfer(id), .transfer(id)) else {
            throw mismatch(.transfer(id))
        }
        return transfer
    }

    func repsWithExpiredLease(at instant: Date) throws -> [String] {
        let read = StagedRead.repsWithExpiredLease(atMicros: storedMicros(instant))
        guard case .ids(let ids) = try ask(read) else { throw mismatch(read) }
        return ids
    }

    func expiredTransfers(at instant: Date) throws -> [String] {
        let read = StagedRead.expiredTransfers(atMicros: storedMicros(instant))
        guard case .ids(let ids) = try ask(read) else { throw mismatch(read) }
        return ids
    }

    func events(after: UInt64, limit: Int) throws -> [Baton_V1_Event] {
        let read = StagedRead.events(after: after, limit: limit)
        guard case .events(let events) = try ask(read) else { throw mismatch(read) }
        return events
    }

    func events(after: UInt64, through: UInt64, matching filter: EventFilter, limit: Int) throws -> [Baton_V1_Event] {
        let read = StagedRead.matchingEvents(
            .init(
                after: after,
                through: through,
                chatIDs: filter.chatIDs.sorted(),
                repIDs: filter.repIDs.sorted(),
                teamIDs: filter.teamIDs.sorted(),
                kinds: filter.kinds.sorted(),
                limit: limit
            )
        )
        guard case .events(let events) = try ask(read) else { throw mismatch(read) }
        return events
    }

    func lastEventSequence() throws -> UInt64 {
        guard case .sequence(let last) = try ask(.lastEventSequence) else { throw mismatch(.lastEventSequence) }
        return last ?? 0
    }

    func oldestEventSequence() throws -> UInt64? {
        guard case .sequence(let oldest) = try ask(.oldestEventSequence) else { throw mismatch(.oldestEventSequence) }
        return oldest
    }

    func rememberedResponse(method: String, key: String) throws -> RememberedResponse? {
        let read = StagedRead.rememberedResponse(method: method, key: key)
        guard case .rememberedResponse(let response) = try askKnown(.remembered(method: method, key: key), read) else {
            throw mismatch(read)
        }
        return response
    }

    func oldestRememberedResponseTime() throws -> Date? {
        let read = StagedRead.oldestRememberedResponseTime
        guard case .time(let time) = try ask(read) else { throw mismatch(read) }
        return time
    }

    func schedule(repID: String) throws -> Baton_V1_Schedule? {
        let read = StagedRead.schedule(repID: repID)
        guard case .schedule(let schedule) = try askKnown(.schedule(repID), read) else { throw mismatch(read) }
        return schedule
    }

    func meeting(_ id: String) throws -> Baton_V1_Meeting? {
        guard case .meeting(let meeting) = try askKnown(.meeting(id), .meeting(id)) else { throw mismatch(.meeting(id)) }
        return meeting
    }

    func meetings(
        repIDs: [String]?,
        chatID: String?,
        from: Date?,
        to: Date?,
        state: Baton_V1_MeetingState?
    ) throws -> [Baton_V1_Meeting] {
        if let repIDs, repIDs.isEmpty { return [] }
        let read = StagedRead.meetings(
            .init(
                repIDs: repIDs,
                chatID: chatID,
                fromMicros: from.map(storedMicros),
                toMicros: to.map(storedMicros),
                state: state?.rawValue
            )
        )
        guard case .meetings(let meetings) = try ask(read) else { throw mismatch(read) }
        return meetings
    }

    func bookedIntervals(repID: String, from: Date, to: Date) throws -> [Range<Date>] {
        let read = StagedRead.bookedIntervals(repID: repID, fromMicros: storedMicros(from), toMicros: storedMicros(to))
        guard case .intervals(let intervals) = try ask(read) else { throw mismatch(read) }
        return intervals
    }

    // MARK: Writes

    func save(_ rep: Baton_V1_Rep) throws {
        record(.rep(rep))
        known[.rep(rep.id)] = .rep(rep)
    }

    func save(_ team: Baton_V1_Team) throws {
        var stored = team
        stored.memberRepIDs = []
        record(.team(stored))
        known[.team(team.id)] = .team(stored)
        known[.teams] = nil
    }

    func save(_ chat: Baton_V1_Chat) throws {
        var stored = chat
        stored.transcript = []
        record(.chat(stored))
        known[.chat(chat.id)] = .chat(stored)
    }

    func append(_ entry: Baton_V1_TranscriptEntry, chatID: String) throws {
        record(.entry(entry, chatID: chatID))
    }

    func save(_ transfer: Baton_V1_PendingTransfer) throws {
        record(.transfer(transfer))
        known[.transfer(transfer.id)] = .transfer(transfer)
    }

    func append(_ event: Baton_V1_Event) throws {
        events.append(event)
    }

    func remember(_ response: RememberedResponse, method: String, key: String, at instant: Date) throws {
        record(.remember(response, method: method, key: key, atMicros: storedMicros(instant)))
        known[.remembered(method: method, key: key)] = .rememberedResponse(response)
    }

    func forgetResponses(rememberedBefore instant: Date, limit: Int) throws -> Int {
        let read = StagedRead.forgetResponses(beforeMicros: storedMicros(instant), limit: limit)
        guard case .count(let count) = try ask(read) else { throw mismatch(read) }
        return count
    }

    func delete(_ events: [Baton_V1_Event]) throws {
        guard !events.isEmpty else { return }
        record(.deleteEvents(events))
    }

    func nextID(_ kind: StoredIDKind) throws -> String {
        guard case .id(let id) = try ask(.nextID(kind)) else { throw mismatch(.nextID(kind)) }
        return id
    }

    func save(_ schedule: Baton_V1_Schedule) throws {
        record(.schedule(schedule))
        known[.schedule(schedule.repID)] = .schedule(schedule)
    }

    func save(_ meeting: Baton_V1_Meeting) throws {
        record(.meeting(meeting))
        known[.meeting(meeting.id)] = .meeting(meeting)
    }

    func nextMeetingID() throws -> String {
        guard case .id(let id) = try ask(.nextMeetingID) else { throw mismatch(.nextMeetingID) }
        return id
    }
}
