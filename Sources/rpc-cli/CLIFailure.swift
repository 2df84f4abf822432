import ArgumentParser
import BatonProtos
import BatonRPC
import Foundation

/// A failure reported as one line on stderr with a documented exit code, never a trap.
enum CLIFailure: Error {
    /// The input could not be converted (65, EX_DATAERR).
    case badInput(String)
    /// The message or method name is not in the schema (64, EX_USAGE).
    case unknownName(String)
    /// The server could not be reached (69, EX_UNAVAILABLE).
    case unreachable(String)
    /// The call ended with a non-OK status (100 + the status code).
    case status(RPCError)

    /// Runs `body`, turning codec errors into CLI failures.
    static func mapping<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as ProtoCodecError where error.code == .unknownMessageType {
            throw CLIFailure.unknownName(error.description)
        } catch let error as ProtoCodecError {
            throw CLIFailure.badInput(error.description)
        }
    }

    /// Runs `body`, turning RPC errors into CLI failures.
    static func calling<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as RPCError {
            throw CLIFailure.status(error)
        }
    }
}

extension CLIFailure: CustomStringConvertible {
    var description: String {
        switch self {
        case .badInput(let text), .unknownName(let text), .unreachable(let text): text
        case .status(let error):
            error.message.isEmpty ? error.code.name : "\(error.code.name): \(error.message)"
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .badInput: ExitCode(65)
        case .unknownName: ExitCode(64)
        case .unreachable: ExitCode(69)
        case .status(let error): ExitCode(100 + error.code.rawValue)
        }
    }
}
