import BatonProtos
import Foundation

/// Reads of the calendar state: schedules and meetings. Part of every `StoreReader`, kept apart
/// so the calendar's needs read in one place.
public protocol CalendarStoreReader {
    /// The rep's stored schedule, nil when they never had one.
    func schedule(repID: String) throws -> Baton_V1_Schedule?
    /// The meeting with `id`, booked or cancelled.
    func meeting(_ id: String) throws -> Baton_V1_Meeting?
    /// Meetings matching the filters (nil matches any) that overlap [from, to), ordered by start
    /// time, then id.
    func meetings(
        repIDs: [String]?,
        chatID: String?,
        from: Date?,
        to: Date?,
        state: Baton_V1_MeetingState?
    ) throws -> [Baton_V1_Meeting]
    /// The [start, end) of `repID`'s booked meetings that overlap [from, to), ordered by start.
    /// Read without decoding the meetings, because availability needs nothing else.
    func bookedIntervals(repID: String, from: Date, to: Date) throws -> [Range<Date>]
}

/// Calendar writes, inside one transaction. Part of every `StoreTransaction`.
public protocol CalendarStoreTransaction: CalendarStoreReader {
    /// Replaces the rep's schedule.
    func save(_ schedule: Baton_V1_Schedule) throws
    /// Inserts or replaces a meeting.
    func save(_ meeting: Baton_V1_Meeting) throws
    /// A new meeting id, never handed out before.
    func nextMeetingID() throws -> String
}
