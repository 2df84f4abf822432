import Baton
import BatonProtos

extension DemoData {
    /// Gives every demo rep without a schedule the same working week in Lisbon: weekdays
    /// 09:00-12:30 and 14:00-18:00, 30-minute meetings, 10 minutes' buffer after each, an hour's
    /// notice. Reps who already have a schedule keep it.
    static func seedSchedules(_ handoff: Handoff, caller: Caller) async throws(BatonError) {
        for id in ["ana", "ben", "cara", "dan", "maya"] {
            var get = Baton_V1_GetScheduleRequest()
            get.repID = id
            guard try await handoff.getSchedule(get).schedule?.version == 0 else { continue }
            var schedule = Baton_V1_Schedule()
            schedule.repID = id
            schedule.timeZone = "Europe/Lisbon"
            for weekday in [Baton_V1_Weekday.monday, .tuesday, .wednesday, .thursday, .friday] {
                var hours = Baton_V1_WeekdayHours()
                hours.weekday = weekday
                for (start, end) in [(540, 750), (840, 1080)] {
                    var interval = Baton_V1_LocalInterval()
                    interval.startMinute = UInt32(start)
                    interval.endMinute = UInt32(end)
                    hours.intervals.append(interval)
                }
                schedule.weeklyHours.append(hours)
            }
            var settings = Baton_V1_MeetingSettings()
            settings.defaultLengthMinutes = 30
            settings.bufferAfterMinutes = 10
            settings.minimumNoticeMinutes = 60
            schedule.meetingSettings = settings
            var set = Baton_V1_SetScheduleRequest()
            set.schedule = schedule
            _ = try await handoff.setSchedule(set, caller: caller)
        }
    }
}
