import BatonTestSupport
import Foundation

/// protoc, the reference protobuf implementation (Debian's `protobuf-compiler`), over Baton's
/// schema: the independent encoder and decoder the codec is compared with.
enum Protoc {
    /// The package's root, found from this file's place in `Tests/BatonProtosTests/Support/`.
    static let repositoryRoot = URL(filePath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Encodes protobuf text format as the message `messageName` (e.g. `baton.v1.Chat`).
    static func encode(_ textFormat: String, as messageName: String) throws -> [UInt8] {
        try run("--encode=\(messageName)", input: Array(textFormat.utf8))
    }

    /// Decodes the binary encoding of the message `messageName` to text format.
    static func decode(_ bytes: [UInt8], as messageName: String) throws -> String {
        String(decoding: try run("--decode=\(messageName)", input: bytes), as: UTF8.self)
    }

    private static func run(_ mode: String, input: [UInt8]) throws -> [UInt8] {
        let schema = try Schema.shared.get()
        let arguments = [mode] + schema.includeFlags + schema.protoFiles
        let result = try ChildProcess.run(schema.executable, arguments, input: input)
        guard result.terminationReason == .exit, result.terminationStatus == 0 else {
            throw ProtocFailure(mode: mode, input: input, result: result)
        }
        return result.standardOutput
    }

    /// Where protoc is and what to pass it, found once.
    private struct Schema {
        let executable: URL
        let includeFlags: [String]
        let protoFiles: [String]

        static let shared = Result { try Schema() }

        init() throws {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            let candidates = path.split(separator: ":").map { URL(filePath: String($0)).appending(path: "protoc") }
            guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
            else {
                throw ProtocUnavailable(reason: "protoc is not on PATH (\(path)); install Debian's protobuf-compiler")
            }
            let protos = Protoc.repositoryRoot.appending(path: "Protos")
            guard let walker = FileManager.default.enumerator(at: protos, includingPropertiesForKeys: nil) else {
                throw ProtocUnavailable(reason: "cannot list \(protos.path)")
            }
            let files = walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "proto" }.map(\.path).sorted()
            guard !files.isEmpty else { throw ProtocUnavailable(reason: "no .proto files under \(protos.path)") }
            self.executable = executable
            // /usr/include holds google/protobuf/timestamp.proto, which the schema imports.
            self.includeFlags = ["-I\(protos.path)", "-I/usr/include"]
            self.protoFiles = files
        }
    }
}

/// protoc cannot be run at all.
struct ProtocUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { "cannot run protoc: \(reason)" }
}

/// protoc ran and refused its input.
struct ProtocFailure: Error, CustomStringConvertible {
    let mode: String
    let input: [UInt8]
    let result: ChildProcessResult

    var description: String {
        let preview =
            mode.hasPrefix("--encode")
            ? String(decoding: input.prefix(2_000), as: UTF8.self)
            : input.prefix(200).map { String($0, radix: 16) }.joined(separator: " ")
        return """
            protoc \(mode) failed (\(result.terminationReason == .exit ? "exit" : "signal") \
            \(result.terminationStatus)): \(result.standardError)
            input (\(input.count) bytes):
            \(preview)
            """
    }
}
