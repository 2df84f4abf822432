import ArgumentParser
import BatonRPC
import BatonStore
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A runtime failure of batond's start, the flags being fine: said on stderr without the usage
/// text, and ending batond with the sysexits code that says what failed, so a supervisor can
/// tell a busy socket from a broken disk.
struct StartupFailure: Error {
    /// What the operator is told.
    var message: String
    /// sysexits(3): EX_UNAVAILABLE 69, EX_CANTCREAT 73, EX_IOERR 74, EX_CONFIG 78.
    var exitCode: Int32

    static let unavailable: Int32 = 69
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let config: Int32 = 78

    /// The database at `path` could not be opened.
    static func database(_ path: String, _ error: StoreOpenFailure) -> StartupFailure {
        let exitCode: Int32 =
            switch error.reason {
            case .inUse: unavailable
            case .cannotCreate: cannotCreate
            default: ioError
            }
        let message =
            if error.reason == .inUse {
                "cannot open the database \(path): another batond uses it"
                    + (error.holder.map { " (pid \($0))" } ?? "") + "; stop it, or give this one another --data-dir"
            } else {
                "cannot open the database: \(error)"
            }
        return StartupFailure(message: message, exitCode: exitCode)
    }

    /// The server could not listen on `path`.
    static func socket(_ path: String, _ error: any Error) -> StartupFailure {
        let exitCode: Int32
        if let failure = error as? UnixSocketFailure {
            exitCode =
                switch failure.reason {
                case .pathTooLong: config
                case .inUse: unavailable
                default: cannotCreate
                }
        } else if let failure = error as? IOError {
            exitCode =
                switch failure.errnoCode {
                case EADDRINUSE: unavailable
                case EACCES, EPERM, EROFS, ENOENT, ENOTDIR: cannotCreate
                default: ioError
                }
        } else {
            exitCode = ioError
        }
        return StartupFailure(message: "cannot listen on \(path): \(error)", exitCode: exitCode)
    }

    /// Says what failed on stderr; the caller then exits with `exitCode`.
    func report() {
        FileHandle.standardError.write(Data("batond: \(message)\n".utf8))
    }
}
