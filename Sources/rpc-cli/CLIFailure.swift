import ArgumentParser
import BatonProtos
import Foundation

/// A failure reported as one line on stderr with an exit code from sysexits.h, never a trap.
enum CLIFailure: Error {
    /// The input could not be converted (EX_DATAERR, 65).
    case badInput(String)
    /// The message name is not in the schema (EX_USAGE, 64).
    case unknownMessage(String)

    /// Runs `body`, turning codec errors into CLI failures.
    static func mapping<Result>(_ body: () throws(ProtoCodecError) -> Result) throws -> Result {
        do {
            return try body()
        } catch where error.code == .unknownMessageType {
            throw CLIFailure.unknownMessage(error.description)
        } catch {
            throw CLIFailure.badInput(error.description)
        }
    }
}

extension CLIFailure: CustomStringConvertible {
    var description: String {
        switch self {
        case .badInput(let text), .unknownMessage(let text): text
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .badInput: ExitCode(65)
        case .unknownMessage: ExitCode(64)
        }
    }
}
