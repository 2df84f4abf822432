import Foundation

/// Where `swift build` put the executables the tests run (batond, rpc-cli), and where the
/// repository is.
public enum BuiltProducts {
    /// The build products folder: the test runner lives in it (`.build/debug/`).
    public static let directory: URL = {
        // Linux: /proc/self/exe is the test runner, which `swift build` puts beside the executables.
        if let runner = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let folder = URL(filePath: runner).deletingLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: folder.appending(path: "batond").path) { return folder }
        }
        // macOS: the runner is inside `.build/debug/<package>PackageTests.xctest`.
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return URL(filePath: CommandLine.arguments[0]).deletingLastPathComponent()
    }()

    /// An executable target's binary; fails clearly when it was not built.
    public static func executable(_ name: String) throws -> URL {
        let candidate = directory.appending(path: name)
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw ProductMissing(name: name, directory: directory.path)
        }
        return candidate
    }

    /// The repository's top folder (the one holding Package.swift).
    public static let repositoryRoot: URL = URL(filePath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// An executable that is not built beside the tests.
public struct ProductMissing: Error, CustomStringConvertible {
    public let name: String
    public let directory: String
    public var description: String { "\(name) is not built in \(directory); run `swift build` first" }
}
