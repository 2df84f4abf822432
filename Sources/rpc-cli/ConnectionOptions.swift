import ArgumentParser
import BatonRPC
import Foundation

/// How to reach batond, shared by every command that calls it.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "batond's Unix socket (default: $BATON_SOCKET, else $XDG_RUNTIME_DIR/baton/batond.sock).")
    var socket: String?

    @Option(help: "Seconds to wait for the answer; the server stops working on the call then too.")
    var timeout: Seconds?

    @Option(name: .customShort("H"), help: "Call metadata as key=value (repeatable; keys are sent in lower case).")
    var header: [String] = []

    var socketPath: String { socket ?? BatonSocketPath.default }

    /// The options above that take a value, as written on the command line.
    private static let namesTakingValue: Set<String> = ["--socket", "--timeout", "-H"]

    /// `arguments` with the connection options written before the subcommand
    /// (`rpc-cli --socket PATH list`, as grpcurl and varlinkctl take them) moved after its name,
    /// where the subcommand parses them.
    static func hoisted(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard namesTakingValue.contains(name) else { break }
            let takesNext = name == argument
            let end = takesNext ? index + 2 : index + 1
            guard end <= arguments.endIndex else { break }
            leading += arguments[index..<end]
            index = end
        }
        guard !leading.isEmpty, index < arguments.endIndex, !arguments[index].hasPrefix("-") else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }

    func validate() throws {
        for entry in header where entry.firstIndex(of: "=").map({ $0 == entry.startIndex }) ?? true {
            throw ValidationError("-H takes key=value, got \(entry)")
        }
    }

    /// The -H entries (checked by `validate`).
    var metadata: RPCMetadata {
        var metadata = RPCMetadata()
        for entry in header {
            let equals = entry.firstIndex(of: "=")!
            metadata.add(String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
        }
        return metadata
    }

    var timeoutDuration: Duration? { timeout?.duration }

    func connect() async throws -> RPCClient {
        do {
            return try await RPCClient.connect(socketPath: socketPath)
        } catch {
            throw CLIFailure.unreachable("cannot reach batond at \(socketPath): \(Self.reason(error)); is it running?")
        }
    }

    /// Connects, runs `body`, and closes the connection before returning or throwing.
    func withClient<Result>(_ body: (RPCClient) async throws -> Result) async throws -> Result {
        try await Self.closing(try await connect(), body)
    }

    /// Runs `body` with `client`, then closes it, also when `body` throws: a command ends with
    /// its connection closed (a GOAWAY, not a reset), and `watch` does not keep one per retry.
    static func closing<Result>(_ client: RPCClient, _ body: (RPCClient) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// Why the connect failed, in the system's words (`No such file or directory`,
    /// `Connection refused`, `Permission denied`), without NIO's call syntax around them.
    private static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        guard let match = text.firstMatch(of: #/errno: (\d+)/#), let number = Int32(match.1) else { return text }
        return String(cString: strerror(number))
    }
}

/// A positive, finite number of seconds up to a year, as --timeout and --retry-for take them.
struct Seconds: ExpressibleByArgument, Sendable {
    let value: Double

    init?(argument: String) {
        guard let value = Double(argument), value.isFinite, value > 0, value <= 365 * 24 * 3600 else { return nil }
        self.value = value
    }

    var duration: Duration { .milliseconds(Int64((value * 1000).rounded(.up))) }

    static var defaultCompletionKind: CompletionKind { .default }
}
