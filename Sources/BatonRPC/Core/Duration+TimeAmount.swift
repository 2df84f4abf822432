import NIOCore

extension TimeAmount {
    /// `duration` as a NIO time amount, saturating instead of trapping on huge values.
    init(clamping duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            self = .nanoseconds(seconds < 0 ? .min : .max)
        } else {
            let (total, overflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
            self = .nanoseconds(overflow ? (seconds < 0 ? .min : .max) : total)
        }
    }
}
