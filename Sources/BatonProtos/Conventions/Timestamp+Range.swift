extension Google_Protobuf_Timestamp {
    /// The seconds proto3 allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the range RFC 3339
    /// can write. Outside it a peer is broken or hostile, and the instant overflows every
    /// conversion downstream (microseconds in an Int64, dates in a calendar).
    public static let validSeconds: ClosedRange<Int64> = -62_135_596_800...253_402_300_799
    /// The nanos proto3 allows: a fraction counting forward in time, also before 1970.
    public static let validNanos: ClosedRange<Int32> = 0...999_999_999

    /// Why the value is not a proto3 timestamp, nil when it is one.
    public var _protoRangeViolation: String? {
        if !Self.validSeconds.contains(seconds) {
            return "seconds \(seconds) is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
                + " (\(Self.validSeconds.lowerBound) to \(Self.validSeconds.upperBound))"
        }
        if !Self.validNanos.contains(nanos) { return "nanos \(nanos) is outside 0 to 999999999" }
        return nil
    }
}
