import Baton
import NIOCore
import PostgresNIO

/// What an error of the driver or the server means for a write or a read.
enum PostgresFailure {
    /// Another writer got there first (a deadlock, a serialization failure, a key or a booked
    /// slot taken): the whole write runs again from the start and reads what that writer did.
    case conflict
    /// The server cannot be reached, or is starting or stopping.
    case unreachable
    /// Anything else: a fault.
    case fault

    init(_ error: any Error) {
        guard let error = error as? PSQLError else {
            self = error is IOError || error is ChannelError || error is LeaseTimeout ? .unreachable : .fault
            return
        }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            switch state {
            // deadlock_detected, serialization_failure, unique_violation, exclusion_violation
            case "40P01", "40001", "23505", "23P01": self = .conflict
            // Class 08: connection exceptions; 57P01-57P03: admin/crash shutdown, cannot
            // connect now; 53300: too many connections.
            case "57P01", "57P02", "57P03", "53300": self = .unreachable
            default: self = state.hasPrefix("08") ? .unreachable : .fault
            }
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .messageDecodingFailure:
            self = .unreachable
        default:
            self = .fault
        }
    }

    /// The `StoreFailure` a caller gets for `error`: what the server said for the operator's
    /// log, never the query (its text and values stay out).
    static func storeFailure(_ error: any Error, _ kind: StoreFailure.Kind? = nil) -> StoreFailure {
        if let failure = error as? StoreFailure { return failure }
        let resolved: StoreFailure.Kind =
            kind
            ?? {
                switch PostgresFailure(error) {
                case .conflict: .contention
                case .unreachable: .unreachable
                case .fault: .internal
                }
            }()
        return StoreFailure(resolved, detail: detail(error))
    }

    private static func detail(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            return "\(info[.sqlState] ?? "?"): \(info[.message] ?? "")"
        }
        return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }
}
