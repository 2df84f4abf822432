import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// Why a database could not be opened, for the operator: what went wrong, with the path.
public struct StoreOpenFailure: Error, Sendable, CustomStringConvertible {
    /// What the operator has to do about it. A struct over a private enum so that new reasons do
    /// not break callers.
    public struct Reason: Hashable, Sendable {
        private enum Wrapped: Hashable, Sendable {
            case inUse, cannotCreate, cannotRead
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Another process holds the database (stop it, or choose another database).
        public static let inUse = Reason(.inUse)
        /// The database or its folder cannot be created or written: permissions, a read-only
        /// file system, a file where a folder should be.
        public static let cannotCreate = Reason(.cannotCreate)
        /// The database exists but cannot be read or migrated: not a database, damaged, an I/O
        /// error, a full disk.
        public static let cannotRead = Reason(.cannotRead)
    }

    public var reason: Reason
    /// The process holding the database, when `reason` is `inUse` and it said who it is.
    public var holder: Int32?
    public var description: String

    init(_ reason: Reason, _ description: String, holder: Int32? = nil) {
        self.reason = reason
        self.description = description
        self.holder = holder
    }

    /// A failed system call on `path`, from `errno`.
    static func system(_ action: String, _ path: String, errno code: Int32 = errno) -> StoreOpenFailure {
        let reason: Reason =
            switch code {
            case EACCES, EPERM, EROFS, ENOTDIR, EEXIST, ENOENT, EISDIR, ENAMETOOLONG, ELOOP: .cannotCreate
            default: .cannotRead
            }
        return StoreOpenFailure(reason, "cannot \(action) \(path): \(String(cString: strerror(code)))")
    }

    /// SQLite's error while opening or migrating `path`.
    static func sqlite(_ error: any Error, _ path: String) -> StoreOpenFailure {
        let reason: Reason =
            switch (error as? DatabaseError)?.resultCode {
            case .SQLITE_CANTOPEN?, .SQLITE_READONLY?, .SQLITE_PERM?, .SQLITE_AUTH?: .cannotCreate
            default: .cannotRead
            }
        let message = (error as? DatabaseError)?.message ?? "\(error)"
        return StoreOpenFailure(reason, "cannot open \(path): \(message)")
    }
}
