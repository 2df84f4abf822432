import BatonProtos
import BatonRPC

/// An error detail in a few words for `--format text`: what a person needs to decide what to do
/// next (why the transfer failed, which slots are free instead). Types without a wording here,
/// and any detail that does not decode, print as JSON.
enum DetailText {
    static func line(_ detail: Baton_Rpc_V1_ErrorDetail) -> String {
        let name = detail.type.split(separator: ".").last.map(String.init) ?? detail.type
        return "\(name): " + ((try? words(detail)) ?? ErrorReport.detailJSON(detail))
    }

    private static func words(_ detail: Baton_Rpc_V1_ErrorDetail) throws -> String? {
        switch detail.type {
        case Baton_V1_ErrorInfo.protoMessageName:
            let info = try Baton_V1_ErrorInfo(serializedBytes: detail.value)
            var text = "reason \(HumanTables.label(info.reason))"
            if !info.resourceID.isEmpty { text += ", \(HumanTables.label(info.resourceKind)) \(info.resourceID)" }
            // e.g. oldest_sequence 12: where a watch can go on from.
            for entry in info.metadata { text += ", \(entry.key) \(entry.value)" }
            return text
        case Baton_V1_TransferUnavailable.protoMessageName:
            let unavailable = try Baton_V1_TransferUnavailable(serializedBytes: detail.value)
            var text = "\(unavailable.targetRepID) is \(HumanTables.label(unavailable.reason))"
            if !unavailable.nextFreeSlots.isEmpty { text += "; next free slots (UTC): " + times(unavailable.nextFreeSlots) }
            if let booker = unavailable.bookerEntry { text += "; meeting booker posted as entry #\(booker.sequence)" }
            return text
        case Baton_V1_BookingConflict.protoMessageName:
            let conflict = try Baton_V1_BookingConflict(serializedBytes: detail.value)
            var text = "\(conflict.repID) is not free at \(HumanTables.utcTime(conflict.startTime)) UTC"
            if !conflict.alternativeSlots.isEmpty { text += "; free instead (UTC): " + times(conflict.alternativeSlots) }
            return text
        case Baton_V1_BadRequest.protoMessageName:
            let request = try Baton_V1_BadRequest(serializedBytes: detail.value)
            return request.fieldViolations.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        case Baton_V1_VersionConflict.protoMessageName:
            let conflict = try Baton_V1_VersionConflict(serializedBytes: detail.value)
            return "\(HumanTables.label(conflict.resourceKind)) \(conflict.resourceID) is at version "
                + "\(conflict.currentVersion), not \(conflict.expectedVersion): read it again"
        default:
            return nil
        }
    }

    private static func times(_ slots: [Baton_V1_Slot]) -> String {
        slots.map { HumanTables.utcTime($0.startTime) }.joined(separator: ", ")
    }
}
