import BatonProtos
import Foundation

/// Prints response messages in the chosen format: JSON lines, or tables where people look.
struct ResponsePrinter {
    let messageName: String
    let output: OutputOptions

    /// Prints one message given as protobuf bytes.
    func print(_ bytes: [UInt8]) throws {
        if output.resolvedFormat == .text, let table = try HumanTables.render(bytes, messageName: messageName) {
            Terminal.printLine(table)
            return
        }
        let json = try CLIFailure.mapping {
            try ProtoJSON.jsonFromBinary(bytes, messageName: messageName, options: output.jsonOptions)
        }
        Terminal.printLine(json)
    }
}
