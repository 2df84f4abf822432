import Baton
import GRDB

extension StoreFailure {
    /// What an error of SQLite (through GRDB), or of the code reading its rows, means for a
    /// caller.
    init(sqlite error: any Error) {
        let kind: Kind
        switch (error as? DatabaseError)?.resultCode {
        case .SQLITE_FULL?:
            kind = .outOfSpace
        case .SQLITE_READONLY?, .SQLITE_PERM?, .SQLITE_CANTOPEN?:
            kind = .readOnly
        case .SQLITE_IOERR?:
            kind = .diskFailure
        default:
            kind = .internal
        }
        self.init(kind, detail: "\(error)")
    }
}
