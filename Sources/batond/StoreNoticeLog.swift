import Baton
import BatonStore
import Logging

/// Logs what the store tells the operator: a fault episode at error level once when it starts,
/// its end at info with the count of calls that failed meanwhile, a loose folder mode as a
/// warning.
struct StoreNoticeLog: Sendable {
    let logger: Logger

    @Sendable func log(_ notice: StoreNotice) {
        switch notice {
        case .looseFolderMode(let folder, let mode):
            logger.warning(
                "the database's folder lets other users in; chmod 700 it to keep the data private",
                metadata: ["folder": "\(folder)", "mode": "\(String(mode, radix: 8))"]
            )
        case .episodeStarted(let failure):
            logger.error("\(Self.words(failure.kind).started)", metadata: ["error": "\(failure.detail)"])
        case .episodeEnded(let kind, let failedCalls):
            logger.info("\(Self.words(kind).ended)", metadata: ["failed_calls": "\(failedCalls)"])
        case .failed(let failure):
            logger.error("\(Self.words(failure.kind).started)", metadata: ["error": "\(failure.detail)"])
        }
    }

    /// How an episode of `kind` starts and ends, in the operator's terms.
    private static func words(_ kind: StoreFailure.Kind) -> (started: String, ended: String) {
        switch kind {
        case .outOfSpace:
            (
                "the store is out of disk space: writes fail until space is freed",
                "the store has disk space again: writes succeed"
            )
        case .readOnly:
            (
                "the store's database is read-only: writes fail until it is writable",
                "the store's database is writable again: writes succeed"
            )
        case .diskFailure:
            (
                "the store's disk refuses writes (read-only, immutable or failing): writes fail until it takes them",
                "the store's disk takes writes again: writes succeed"
            )
        case .unreachable:
            ("the database server cannot be reached: calls fail until it answers", "the database server answers again")
        case .contention:
            ("writes keep conflicting with concurrent writes", "writes commit again")
        case .internal:
            ("the store failed", "the store works again")
        }
    }
}
