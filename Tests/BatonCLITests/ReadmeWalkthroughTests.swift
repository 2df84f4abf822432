import BatonTestSupport
import Foundation
import Testing

/// The README's walkthrough, run as a reader runs it: every `$` command between its walkthrough
/// markers, in order, in a shell on a pseudo-terminal (so rpc-cli prints what a person sees),
/// against a fresh `batond --demo`. Each command's output must match the README's, times aside.
/// The README cannot drift from the product.
@Suite struct ReadmeWalkthroughTests {
    /// One `$` command of the README and the output printed under it.
    struct Step: CustomStringConvertible {
        var command: String
        var expectedOutput: [String]
        var description: String { command }
    }

    @Test("every command of the README walkthrough prints what the README shows")
    func walkthroughMatchesTheReadme() async throws {
        let readme = try String(contentsOf: BuiltProducts.repositoryRoot.appending(path: "README.md"), encoding: .utf8)
        let steps = try Self.steps(in: readme)
        #expect(steps.count >= 8, "the walkthrough lost its commands: \(steps)")
        let directory = FileManager.default.temporaryDirectory.appending(path: "baton-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        try await BatondProcess.with(["--demo"]) { batond in
            let environment = [
                "PATH": BuiltProducts.directory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "BATON_SOCKET": batond.socketPath,
            ]
            for step in steps {
                let (printed, status) = try PseudoTerminal.run(step.command, environment: environment, workingDirectory: directory)
                #expect(status == 0, "`\(step.command)` failed: \(printed)")
                let actual = Self.lines(printed).map(Self.timesReplaced)
                let expected = step.expectedOutput.map(Self.timesReplaced)
                #expect(actual == expected, "`\(step.command)` printed:\n\(printed)")
            }
        }
    }

    @Test("the walkthrough parser reads continued commands and the output under them")
    func parserReadsStepsAsWritten() throws {
        let readme = """
            text
            <!-- walkthrough: intro -->
            ```sh
            not a step
            ```
            ```console
            $ rpc-cli call x -d '{"a":1,
                "b":2}' \\
                | jq .
            {
              "a": 1
            }
            $ rpc-cli health
            SERVING
            ```
            <!-- walkthrough: end -->
            ```console
            $ outside
            ```
            """
        let steps = try Self.steps(in: readme)
        #expect(steps.map(\.command) == ["rpc-cli call x -d '{\"a\":1,\n    \"b\":2}' \\\n    | jq .", "rpc-cli health"])
        #expect(steps.map(\.expectedOutput) == [["{", "  \"a\": 1", "}"], ["SERVING"]])
        #expect(Self.timesReplaced("at 2026-11-27T09:00:00.5Z, 2026-11-27 09:00 or Fri 27 Nov 09:00") == "at <time>, <time> or <time>")
    }

    // MARK: Reading the README

    /// The `$` commands of the ```console blocks between the walkthrough markers. A command goes
    /// on while its line ends with `\` or a single quote is open; the lines up to the next `$`
    /// or the end of the block are its output.
    static func steps(in readme: String) throws -> [Step] {
        let begin = try #require(readme.range(of: "<!-- walkthrough:"), "README has no walkthrough marker")
        let end = try #require(readme.range(of: "<!-- walkthrough: end -->"), "README has no walkthrough end marker")
        var steps: [Step] = []
        var inConsoleBlock = false
        var continuing = false
        for line in lines(String(readme[begin.upperBound..<end.lowerBound])) {
            if line.hasPrefix("```") {
                inConsoleBlock = line == "```console"
                continue
            }
            guard inConsoleBlock else { continue }
            if continuing {
                steps[steps.count - 1].command += "\n" + line
            } else if line.hasPrefix("$ ") {
                steps.append(Step(command: String(line.dropFirst(2)), expectedOutput: []))
            } else if !steps.isEmpty {
                steps[steps.count - 1].expectedOutput.append(line)
                continue
            } else {
                continue
            }
            let command = steps[steps.count - 1].command
            continuing = command.hasSuffix("\\") || command.filter { $0 == "'" }.count % 2 == 1
        }
        return steps
    }

    /// `text`'s lines, without a last empty one.
    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Times depend on when the walkthrough runs: RFC 3339 (`2026-11-27T09:00:00Z`), the tables'
    /// UTC minutes (`2026-11-27 09:00`) and a rep's local time (`Fri 27 Nov 09:00`) all become
    /// `<time>`. Everything else, ids and sequence numbers included, must match.
    static func timesReplaced(_ line: String) -> String {
        line.replacing(#/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/#, with: "<time>")
            .replacing(#/\d{4}-\d\d-\d\d \d\d:\d\d/#, with: "<time>")
            .replacing(#/(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d [A-Z][a-z]{2} \d\d:\d\d/#, with: "<time>")
    }
}
