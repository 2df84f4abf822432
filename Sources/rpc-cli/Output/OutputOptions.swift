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
    /// The format asked for with --format, if any: errors are JSON only when asked.
    var errorFormat: OutputFormat? { get }
}

/// Writes to stdout or stderr unbuffered, one write per call, so a pipe (`| jq`) sees each
/// message as it arrives and stderr lines never interleave mid-line with stdout ones.
enum Terminal {
    static func printLine(_ text: String) {
        write(Array((text + "\n").utf8), to: STDOUT_FILENO)
    }

    static func printError(_ text: String) {
        write(Array((text + "\n").utf8), to: STDERR_FILENO)
    }

    /// Binary output (`rpc-cli encode`).
    static func writeBytes(_ bytes: [UInt8]) {
        write(bytes, to: STDOUT_FILENO)
    }

    /// Writes all of `text`. When the reader has gone (`rpc-cli watch | head -3`), rpc-cli ends
    /// the way a Unix filter does, by SIGPIPE, which SwiftNIO otherwise ignores: writing on
    /// would only fail again (and Foundation's FileHandle.write traps on it).
    private static func write(_ output: [UInt8], to descriptor: Int32) {
        var bytes = output[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written >= 0 {
                bytes = bytes.dropFirst(written)
            } else if errno == EINTR {
                continue
            } else if errno == EPIPE && descriptor == STDOUT_FILENO {
                signal(SIGPIPE, SIG_DFL)
                raise(SIGPIPE)
            } else {
                return  // stderr gone or another failure: nothing useful left to report it on
            }
        }
    }
}
