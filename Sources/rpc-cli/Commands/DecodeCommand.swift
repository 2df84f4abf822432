import ArgumentParser
import BatonProtos
import Foundation

/// `rpc-cli decode <message>`: binary protobuf on stdin, proto3 JSON on stdout.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Read a message's binary protobuf encoding on stdin and write it as JSON to stdout."
    )

    @Argument(help: "The message's full name, e.g. baton.v1.Chat.")
    var messageName: String

    @Flag(help: "Indent the JSON.")
    var pretty = false

    @Flag(help: "Also print fields that hold their default value.")
    var emitDefaults = false

    @Flag(help: "Name fields as in the .proto (owner_rep_id) instead of lowerCamelCase (ownerRepId).")
    var protoNames = false

    func run() throws {
        let input = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        let options = ProtoJSONEncodingOptions(
            emitDefaultValues: emitDefaults,
            prettyPrinted: pretty,
            useProtoNames: protoNames
        )
        let json = try CLIFailure.mapping {
            try ProtoJSON.jsonFromBinary(input, messageName: messageName, options: options)
        }
        Terminal.printLine(json)
    }
}
