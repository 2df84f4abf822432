import BatonTestSupport
import Foundation
import Testing

/// `rpc-cli call` against a real `batond --demo`: what a person sees in a terminal, what a script
/// sees in a pipe, and what -v adds.
@Suite struct CallCommandTests {
    @Test("--format text shows transfer targets as an aligned table with eligibility and reasons")
    func transferTargetsAsATable() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(
                ["call", "baton.v1.Chats/ListTransferTargets", "-d", #"{"chatId":"chat-1"}"#, "--format", "text"],
                socket: batond.socketPath
            )
            #expect(result.exited(with: 0), "\(result.standardError)")
            let lines = result.standardText.split(separator: "\n").map(String.init)
            let header = try #require(lines.first)
            #expect(header.hasPrefix("REP"))
            for column in ["NAME", "PRESENCE", "STATUS", "ELIGIBLE", "WHY NOT", "NEXT FREE SLOT"] {
                #expect(header.contains(column))
            }
            let ben = try #require(lines.first { $0.hasPrefix("ben ") })
            let cara = try #require(lines.first { $0.hasPrefix("cara ") })
            let dan = try #require(lines.first { $0.hasPrefix("dan ") })
            // Aligned: every row's ELIGIBLE cell starts in the header's ELIGIBLE column.
            let eligibleColumn = header.range(of: "ELIGIBLE")!.lowerBound.utf16Offset(in: header)
            for (row, expected) in [(ben, "yes"), (cara, "no"), (dan, "no")] {
                let cell = row.dropFirst(eligibleColumn).prefix(3).trimmingCharacters(in: .whitespaces)
                #expect(cell == expected, "\(row)")
            }
            #expect(cara.contains("away"))
            #expect(dan.contains("logged out"))
        }
    }

    @Test("names outside ASCII keep every character in a table")
    func tablesKeepNonASCIINames() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let upsert = #"{"rep":{"id":"zoe","displayName":"Zoë Ñandú 🚀🚀","teamIds":["sales"],"timeZone":"UTC"},"actingRepId":"maya"}"#
            #expect(try RPCCLI.run(["call", "baton.v1.Reps/UpsertRep", "-d", upsert], socket: batond.socketPath).exited(with: 0))
            let result = try RPCCLI.run(["call", "baton.v1.Reps/ListReps", "-d", "{}", "--format", "text"], socket: batond.socketPath)
            let row = try #require(result.standardText.split(separator: "\n").first { $0.hasPrefix("zoe ") })
            #expect(row.contains("Zoë Ñandú 🚀🚀 "), "\(row)")
            #expect(!row.contains("\u{FFFD}"))
        }
    }

    @Test("without a terminal, responses are one JSON object per line")
    func pipedOutputIsJSON() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(
                ["call", "baton.v1.Reps/ListReps", "-d", #"{"teamId":"sales"}"#],
                socket: batond.socketPath
            )
            #expect(result.exited(with: 0), "\(result.standardError)")
            let lines = result.standardText.split(separator: "\n")
            #expect(lines.count == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            let reps = try #require(object["reps"] as? [[String: Any]])
            #expect(Set(reps.compactMap { $0["id"] as? String }).isSuperset(of: ["ana", "ben", "cara", "dan"]))
        }
    }

    @Test("a refused transfer exits 109 and prints the status, the message and each typed detail")
    func failedPreconditionShowsDetails() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let request = #"{"chatId":"chat-1","actingRepId":"ana","targetRepId":"dan"}"#
            let text = try RPCCLI.run(["call", "baton.v1.Chats/TransferChat", "-d", request], socket: batond.socketPath)
            #expect(text.exited(with: 109), "\(text.standardError)")
            #expect(text.standardOutput.isEmpty)
            let lines = text.standardError.split(separator: "\n")
            #expect(lines.first?.hasPrefix("rpc-cli: error: FAILED_PRECONDITION: ") == true, "\(text.standardError)")
            #expect(lines.dropFirst().contains { $0 == "  ErrorInfo: reason target logged out, rep dan" }, "\(lines)")
            #expect(lines.dropFirst().contains { $0.hasPrefix("  TransferUnavailable: dan is logged out") }, "\(lines)")

            let json = try RPCCLI.run(
                ["call", "baton.v1.Chats/TransferChat", "-d", request, "--format", "json"],
                socket: batond.socketPath
            )
            #expect(json.exited(with: 109))
            let errorLines = json.standardError.split(separator: "\n")
            #expect(errorLines.count == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(errorLines[0].utf8)) as? [String: Any])
            #expect(object["code"] as? String == "FAILED_PRECONDITION")
            #expect(object["exitCode"] as? Int == 109)
            #expect((object["message"] as? String)?.isEmpty == false)
            let details = try #require(object["details"] as? [[String: Any]])
            #expect(details.contains { $0["@type"] as? String == "baton.v1.ErrorInfo" })
        }
    }

    @Test("-v shows the request metadata, the response trailers and the status on stderr")
    func verboseShowsMetadataAndStatus() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(
                ["call", "baton.v1.Chats/GetChat", "-d", #"{"chatId":"chat-1"}"#, "-v", "-H", "x-trace=abc123"],
                socket: batond.socketPath
            )
            #expect(result.exited(with: 0), "\(result.standardError)")
            #expect(result.standardError.contains("Calling /baton.v1.Chats/GetChat (unary)"))
            #expect(result.standardError.contains("Request metadata:\n  x-trace: abc123"))
            #expect(result.standardError.contains("Response trailers"))
            #expect(result.standardError.contains("Status: OK"))
            #expect(result.standardError.contains("Sent 1 request; received 1 response."))
            // stdout carries only the response.
            let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any]
            #expect((object?["chat"] as? [String: Any])?["id"] as? String == "chat-1")

            let missing = try RPCCLI.run(
                ["call", "baton.v1.Chats/GetChat", "-d", #"{"chatId":"no-such-chat"}"#, "-v"],
                socket: batond.socketPath
            )
            #expect(missing.exited(with: 105))
            #expect(missing.standardError.contains("Status: NOT_FOUND (5)"))
        }
    }

    @Test("a bidirectional call prints each answer while stdin is still open")
    func bidirectionalCallInterleaves() async throws {
        try await BatondProcess.with(["--enable-test-service"]) { batond in
            let call = try BackgroundProcess(
                try BuiltProducts.executable("rpc-cli"),
                ["call", "baton.test.v1.TestService/Bidi"],
                environment: ["BATON_SOCKET": batond.socketPath]
            )
            defer { call.stop() }
            call.writeLine(#"{"text":"first"}"#)
            // The first answer arrives before the second request is even written.
            let first = await call.lines(atLeast: 1)
            #expect(first.count == 1 && first[0].contains("first"), "\(first) \(call.standardError)")
            call.writeLine(#"{"text":"second"}"#)
            call.closeInput()
            #expect(await call.waitForExit() == 0, "\(call.standardError)")
            let all = await call.lines(atLeast: 2)
            #expect(all.count == 2 && all[1].contains("second"), "\(all)")
        }
    }

    @Test("a client stream reads one JSON request per stdin line; a bad line exits 65 naming it")
    func clientStreamFromStdin() async throws {
        try await BatondProcess.with(["--enable-test-service"]) { batond in
            let good = try RPCCLI.run(
                ["call", "baton.test.v1.TestService/ClientStream"],
                socket: batond.socketPath,
                input: "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n"
            )
            #expect(good.exited(with: 0), "\(good.standardError)")
            let object = try JSONSerialization.jsonObject(with: Data(good.standardOutput)) as? [String: Any]
            #expect(object?["receivedCount"] as? Int == 2)
            #expect(object?["text"] as? String == "ab")

            let bad = try RPCCLI.run(
                ["call", "baton.test.v1.TestService/ClientStream"],
                socket: batond.socketPath,
                input: "{\"text\":\"a\"}\n{\"txet\":\"b\"}\n"
            )
            #expect(bad.exited(with: 65), "\(bad.standardError)")
            #expect(bad.standardError.contains("txet"))
        }
    }

    @Test("a request stream the server fails early ends with its status while stdin still holds requests")
    func requestStreamFailedEarlyStopsReadingStdin() async throws {
        try await BatondProcess.with(["--enable-test-service"]) { batond in
            let refused = #"{"text":"a","failWith":"STATUS_CODE_FAILED_PRECONDITION","failMessage":"no more"}"#
            let more = String(repeating: #"{"text":"more"}"# + "\n", count: 200_000)
            let result = try ChildProcess.run(
                try BuiltProducts.executable("rpc-cli"),
                ["call", "baton.test.v1.TestService/Bidi"],
                input: Array((refused + "\n" + more).utf8),
                environment: ["BATON_SOCKET": batond.socketPath],
                timeout: .seconds(60)
            )
            // 100 + FAILED_PRECONDITION (9): the server's status, not a cut-short stream's.
            #expect(result.exited(with: 109), "\(result.standardError)")
            #expect(result.standardError.contains("no more"), "\(result.standardError)")
        }
    }

    @Test("on a terminal, a call without -d sends an empty request instead of waiting for stdin")
    func terminalWithoutDataSendsEmptyRequest() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let (printed, status) = try PseudoTerminal.run(
                "rpc-cli call baton.v1.Reps/ListReps",
                environment: [
                    "PATH": BuiltProducts.directory.path + ":/usr/bin:/bin",
                    "BATON_SOCKET": batond.socketPath,
                ]
            )
            #expect(status == 0, "\(printed)")
            // A terminal gets the table, not JSON.
            #expect(printed.hasPrefix("ID    NAME"), "\(printed)")
            #expect(printed.contains("\ncara  Cara Diaz"))
        }
    }

    @Test("--template prints a request the method accepts, without calling batond")
    func templateNeedsNoServer() throws {
        let result = try RPCCLI.run(
            ["call", "baton.v1.Chats/TransferChat", "--template"],
            socket: "/tmp/baton-no-such-folder/batond.sock"
        )
        #expect(result.exited(with: 0), "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any]
        #expect(object?["chatId"] != nil && object?["targetRepId"] != nil)
    }
}
