import BatonTestSupport
import Foundation

/// Runs the built `rpc-cli` against a socket, as a shell user would.
enum RPCCLI {
    /// Runs `rpc-cli arguments` with `BATON_SOCKET` set to `socketPath` and `input` on stdin.
    static func run(_ arguments: [String], socket socketPath: String, input: String = "") throws -> ChildProcessResult {
        try ChildProcess.run(
            try BuiltProducts.executable("rpc-cli"),
            arguments,
            input: Array(input.utf8),
            environment: ["BATON_SOCKET": socketPath]
        )
    }
}
