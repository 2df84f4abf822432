import ArgumentParser
import Foundation

/// `rpc-cli`: Baton's command line, for converting, inspecting and calling Baton messages.
@main
struct RPCCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc-cli",
        abstract: "Talk to Baton from a shell: convert messages between JSON and protobuf.",
        subcommands: [EncodeCommand.self, DecodeCommand.self]
    )

    /// Parses and runs, reporting `CLIFailure`s as one line on stderr with their own exit codes
    /// (ArgumentParser would exit 1 for every error).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("rpc-cli: error: \(failure)\n".utf8))
            exit(failure.exitCode.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
