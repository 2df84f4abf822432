import ArgumentParser
import BatonRPC
import Foundation

/// How to reach batond, shared by every command that calls it.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "batond's Unix socket (default: $BATON_SOCKET, else $XDG_RUNTIME_DIR/baton/batond.sock).")
    var socket: String?

    @Option(help: "Seconds to wait for the answer; the server stops working on the call then too.")
    var timeout: Double?

    @Option(name: .customShort("H"), help: "Call metadata as key=value (repeatable).")
    var header: [String] = []

    var socketPath: String { socket ?? BatonSocketPath.default }

    var metadata: RPCMetadata {
        get throws {
            var metadata = RPCMetadata()
            for entry in header {
                guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                    throw ValidationError("-H takes key=value, got \(entry)")
                }
                metadata.add(String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
            }
            return metadata
        }
    }

    var timeoutDuration: Duration? { timeout.map { .milliseconds(Int64($0 * 1000)) } }

    func connect() async throws -> RPCClient {
        do {
            return try await RPCClient.connect(socketPath: socketPath)
        } catch {
            throw CLIFailure.unreachable("cannot reach batond at \(socketPath); is it running? (\(error))")
        }
    }
}
