import ArgumentParser
import BatonProtos
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How results and errors are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// One compact JSON object per line (proto3 JSON), ready for `jq`; errors as one JSON line.
    case json
    /// For people: aligned tables for reps, transfer targets, free slots and events; indented
    /// JSON for everything else; errors as a readable line.
    case text

    /// `text` when stdout is a terminal, `json` when it is a pipe or a file.
    static var forStandardOutput: OutputFormat { isatty(STDOUT_FILENO) == 1 ? .text : .json }
}

/// The output flags of every command that prints messages.
struct OutputOptions: ParsableArguments {
    @Option(help: "json or text (default: text on a terminal, json otherwise).")
    var format: OutputFormat?

    @Flag(help: "Indent the JSON output.")
    var pretty = false

    @Flag(help: "Also print fields that hold their default value.")
    var emitDefaults = false

    var resolvedFormat: OutputFormat { format ?? .forStandardOutput }

    var jsonOptions: ProtoJSONEncodingOptions {
        ProtoJSONEncodingOptions(emitDefaultValues: emitDefaults, prettyPrinted: pretty || resolvedFormat == .text)
    }
}

/// A command whose errors follow its `--format`.
protocol FormatsItsErrors {
    var output: OutputOptions { get }
}

/// Writes to stdout or stderr unbuffered, one write per call, so a pipe (`| jq`) sees each
/// message as it arrives and stderr lines never interleave mid-line with stdout ones.
enum Terminal {
    static func printLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
