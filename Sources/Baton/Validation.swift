import BatonProtos
import Foundation

/// Collects every bad field of a request, in the order checked, and fails with one
/// INVALID_ARGUMENT carrying a BadRequest detail naming them all.
struct Validator {
    private var violations: [Baton_V1_FieldViolation] = []

    /// Records `field` as bad.
    mutating func fail(_ field: String, _ message: String, reason: Baton_V1_ErrorReason = .invalidField) {
        var violation = Baton_V1_FieldViolation()
        violation.field = field
        violation.message = message
        violation.reason = reason
        violations.append(violation)
    }

    /// An identifier: 1 to 64 bytes of ASCII letters, digits and `.`, `_`, `-`, `:`.
    mutating func id(_ value: String, _ field: String, required: Bool = true) {
        if value.isEmpty {
            if required { fail(field, "\(field) is required") }
            return
        }
        let allowed = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2e || byte == 0x5f || byte == 0x2d || byte == 0x3a
        }
        if value.utf8.count > 64 || !allowed {
            fail(field, "\(field) must be 1 to 64 bytes of ASCII letters, digits and . _ - :")
        }
    }

    /// Text of at most `max` bytes of UTF-8, and at least one when `required`.
    mutating func text(_ value: String, _ field: String, max: Int, required: Bool = false) {
        if required && value.isEmpty {
            fail(field, "\(field) is required")
        } else if value.utf8.count > max {
            fail(field, "\(field) is \(value.utf8.count) bytes, above the limit of \(max)")
        }
    }

    /// A known value of an enum (`unrecognized` values arrive from newer or broken clients).
    mutating func known<E: ProtoEnum>(_ value: E, _ field: String, knownRange: ClosedRange<Int32>) {
        if !knownRange.contains(value.rawValue) { fail(field, "\(field) has unknown value \(value.rawValue)") }
    }

    /// Who did something (`author`, `ended_by`, ...): a known kind, and an id when it is a rep.
    mutating func actor(_ actor: Baton_V1_Actor, _ field: String) {
        known(actor.kind, "\(field).kind", knownRange: 0...3)
        if actor.kind == .rep { id(actor.id, "\(field).id") }
    }

    /// A sequence number to resume after: the store numbers with SQLite's signed 64-bit integers,
    /// so no entry or event is ever numbered above Int64.max.
    mutating func sequence(_ value: UInt64, _ field: String) {
        if Int64(exactly: value) == nil { fail(field, "\(field) \(value) is above the largest sequence, \(Int64.max)") }
    }

    /// An idempotency key: empty, or 1 to 128 bytes of printable ASCII.
    mutating func idempotencyKey(_ value: String, _ field: String = "idempotency_key") {
        if value.utf8.count > 128 || !value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
            fail(field, "\(field) must be at most 128 bytes of printable ASCII")
        }
    }

    /// Throws the collected violations, if any.
    func check() throws(BatonError) {
        guard let first = violations.first else { return }
        var badRequest = Baton_V1_BadRequest()
        badRequest.fieldViolations = violations
        let reason = first.reason == .invalidTimeZone ? Baton_V1_ErrorReason.invalidTimeZone : .invalidField
        let message = violations.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        throw BatonError(.invalidArgument, reason, message, detail: .badRequest(badRequest))
    }
}
