import BatonProtos
import Foundation
import Synchronization

/// The time source of the domain: lease and transfer expiry, timestamps on everything stored.
/// Injected so tests move time by hand instead of sleeping.
public protocol BatonClock: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The wall clock.
public struct SystemClock: BatonClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that only moves when told to, for tests.
public final class ManualClock: BatonClock {
    private let current: Mutex<Date>

    /// A clock showing `start`.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_780_000_000)) { current = Mutex(start) }

    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

extension Google_Protobuf_Timestamp {
    /// The timestamp of `date`, at microsecond precision (what the store keeps exactly).
    public init(_ date: Date) {
        self.init()
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        seconds = micros.floorDivided(by: 1_000_000)
        nanos = Int32((micros - seconds * 1_000_000) * 1000)
    }

    /// The instant as a date.
    public var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9) }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
