import ArgumentParser
import BatonProtos
import Foundation

/// `rpc-cli`: Baton's command line, for converting, inspecting and calling Baton messages.
@main
struct RPCCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc-cli",
        abstract: "Talk to Baton from a shell: discover, describe and call methods, follow events, convert messages.",
        discussion: """
            Exit codes: 0 success; 64 usage (unknown method, message or symbol, bad flags); 65 bad \
            input data (JSON or protobuf); 69 cannot reach batond; 100 + N when a call ends with \
            status N (e.g. 103 INVALID_ARGUMENT, 104 DEADLINE_EXCEEDED, 105 NOT_FOUND, 109 \
            FAILED_PRECONDITION, 110 ABORTED, 114 UNAVAILABLE).
            Connection options (--socket, --timeout, -H) go before the subcommand or after it: \
            rpc-cli --socket PATH list.
            Shell completion: rpc-cli --generate-completion-script bash|zsh|fish.
            """,
        version: BatonVersion.line(for: "rpc-cli"),
        subcommands: [
            ListCommand.self, HealthCommand.self, CallCommand.self, WatchCommand.self, EncodeCommand.self, DecodeCommand.self,
            DescribeCommand.self,
        ]
    )

    /// Parses and runs, reporting `CLIFailure`s as one line on stderr with their own exit codes
    /// (ArgumentParser would exit 1 for every error).
    static func main() async {
        var errorFormat = OutputFormat.text
        do {
            // Errors print as JSON only when asked (--format json): a terminal-less stdout says
            // nothing about who reads stderr.
            var command = try parseAsRoot(ConnectionOptions.hoisted(Array(CommandLine.arguments.dropFirst())))
            errorFormat = Self.errorFormat(of: command)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CLIFailure {
            Terminal.printError(ErrorReport(failure: failure).rendered(as: errorFormat))
            Foundation.exit(failure.exitCode.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    private static func errorFormat(of command: any ParsableCommand) -> OutputFormat {
        (command as? FormatsItsErrors)?.errorFormat ?? .text
    }
}
