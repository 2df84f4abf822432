import ArgumentParser
import BatonProtos
import Foundation

/// `rpc-cli encode <message>`: proto3 JSON on stdin, binary protobuf on stdout.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Read a message as JSON on stdin and write its binary protobuf encoding to stdout.",
        discussion: "Example: echo '{\"id\":\"c1\"}' | rpc-cli encode baton.v1.Chat | rpc-cli decode baton.v1.Chat"
    )

    @Argument(help: "The message's full name, e.g. baton.v1.Chat.")
    var messageName: String

    @Flag(help: "Skip JSON fields the message does not have instead of failing.")
    var ignoreUnknownFields = false

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let json = String(data: input, encoding: .utf8) else {
            throw CLIFailure.badInput("stdin is not UTF-8 text")
        }
        let bytes = try CLIFailure.mapping {
            try ProtoJSON.binaryFromJSON(
                json,
                messageName: messageName,
                options: ProtoJSONDecodingOptions(ignoreUnknownFields: ignoreUnknownFields)
            )
        }
        Terminal.writeBytes(bytes)
    }
}
