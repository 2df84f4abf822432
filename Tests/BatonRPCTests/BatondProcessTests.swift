import BatonProtos
import BatonRPC
import BatonTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The batond executable as an operator runs it: its own process, its metrics, its signals.
@Suite("batond as a process")
struct BatondProcessTests {
    /// Starts batond (with the echo service) on a socket in a fresh folder, runs `body`, then
    /// stops it if it is still running.
    func withBatond(
        _ arguments: [String] = [],
        _ body: (_ process: Process, _ socketPath: String, _ stderr: URL) async throws -> Void
    ) async throws {
        try await BatondProcess.with(["--enable-test-service"] + arguments) { batond in
            try await body(batond.process, batond.socketPath, batond.stderrLog)
        }
    }

    @Test("Metrics/Scrape counts calls by method and status in Prometheus text")
    func metricsCountCallsByMethodAndStatus() async throws {
        try await withBatond { _, socketPath, _ in
            let client = try await RPCClient.connect(socketPath: socketPath)
            for _ in 0..<3 {
                _ = try await client.unary(
                    "/baton.rpc.v1.Health/Check",
                    Baton_Rpc_V1_HealthCheckRequest(),
                    as: Baton_Rpc_V1_HealthCheckResponse.self
                )
            }
            var unknown = Baton_Rpc_V1_HealthCheckRequest()
            unknown.service = "no.such.Service"
            await #expect(throws: RPCError.self) {
                _ = try await client.unary("/baton.rpc.v1.Health/Check", unknown, as: Baton_Rpc_V1_HealthCheckResponse.self)
            }
            let scrape = try await client.unary(
                "/baton.rpc.v1.Metrics/Scrape",
                Baton_Rpc_V1_ScrapeRequest(),
                as: Baton_Rpc_V1_ScrapeResponse.self
            )
            await client.close()
            #expect(scrape.contentType.hasPrefix("text/plain; version=0.0.4"))
            let lines = scrape.text.split(separator: "\n")
            let okChecks = lines.first {
                $0.hasPrefix("baton_rpc_calls_total") && $0.contains("/baton.rpc.v1.Health/Check")
                    && $0.contains("code=\"OK\"")
            }
            #expect(okChecks?.split(separator: " ").last == "3")
            #expect(lines.contains { $0.contains("/baton.rpc.v1.Health/Check") && $0.contains("code=\"NOT_FOUND\"") })
            #expect(lines.contains { $0.hasPrefix("baton_rpc_open_connections") })
            #expect(lines.contains { $0.hasPrefix("baton_rpc_call_duration_seconds") })
        }
    }

    @Test(
        "a peer refused by its credentials is told PERMISSION_DENIED and counted in baton_rpc_refused_connections_total",
        .enabled(
            if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"),
            "connecting as another user takes root, and a python3 that user can run"
        )
    )
    func refusedPeerIsCounted() async throws {
        // nobody may reach the socket (its group, and the folder above opened for passing
        // through), but SO_PEERCRED still refuses it: only batond's own uid is allowed.
        try await withBatond(["--socket-group", "65534"]) { _, socketPath, _ in
            let folder = URL(fileURLWithPath: socketPath).deletingLastPathComponent().deletingLastPathComponent()
            chmod(folder.path, 0o711)
            let stranger = try ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/setpriv"),
                [
                    "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                    "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
                        + "sys.stdout.buffer.write(b''.join(iter(lambda: s.recv(4096), b'')))",
                    socketPath,
                ]
            )
            #expect(stranger.exited(with: 0), "\(stranger.standardError)")
            let reply = stranger.standardOutput
            try #require(reply.count > 20, "\(reply)")
            let goAway = WireFrame(stream: 0, type: reply[18], flags: reply[19], payload: Array(reply[20...])).goAway
            #expect(goAway?.code == .permissionDenied, "\(reply)")

            let client = try await RPCClient.connect(socketPath: socketPath)
            let scrape = try await client.unary(
                "/baton.rpc.v1.Metrics/Scrape",
                Baton_Rpc_V1_ScrapeRequest(),
                as: Baton_Rpc_V1_ScrapeResponse.self
            )
            await client.close()
            let refused = scrape.text.split(separator: "\n").first { $0.hasPrefix("baton_rpc_refused_connections_total") }
            #expect(refused?.split(separator: " ").last.flatMap { Double($0) } == 1, "\(scrape.text)")
        }
    }

    @Test(
        "a limit flag out of range is refused at start, naming the flag",
        arguments: [
            ["--max-write-buffer", "0"],
            ["--max-write-buffer", "1"],
            ["--max-window-messages", "31"],
            ["--max-window-messages", "4294967296"],
            ["--max-window-bytes", "0"],
            ["--max-frame-size", "4294967296"],
            ["--max-frame-size", "255"],
            ["--max-calls-per-connection", "0"],
            ["--max-connections", "0"],
        ]
    )
    func limitFlagOutOfRange(_ flag: [String]) throws {
        let result = try ChildProcess.run(try BuiltProducts.executable("batond"), flag)
        #expect(result.exited(with: 64))
        #expect(result.standardError.contains("\(flag[0]) must be between"), "\(result.standardError)")
    }

    @Test("SIGTERM lets a call in flight finish, then batond exits 0 and removes its socket")
    func sigtermDrainsGracefully() async throws {
        try await withBatond { process, socketPath, _ in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.bidirectionalStreaming(
                "/baton.test.v1.TestService/Bidi",
                requestType: Baton_Test_V1_EchoRequest.self,
                responseType: Baton_Test_V1_EchoResponse.self
            )
            var responses = call.responses.makeAsyncIterator()
            try await call.send(echo("before"))
            // Its first answer proves the call is in flight: no polling, whatever the load.
            #expect(try await responses.next()?.text == "before")
            kill(process.processIdentifier, SIGTERM)
            // The call keeps running through the drain: it still takes a request and answers.
            try await call.send(echo("during the drain"))
            call.closeSend()
            #expect(try await responses.next()?.text == "during the drain")
            #expect(try await responses.next() == nil)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: socketPath))
            await client.close()
        }
    }

    @Test("a second batond on a live socket refuses to start and says why")
    func secondInstanceRefusesALiveSocket() async throws {
        try await withBatond { _, socketPath, _ in
            let second = Process()
            second.executableURL = try BuiltProducts.executable("batond")
            let folder = URL(fileURLWithPath: socketPath).deletingLastPathComponent().deletingLastPathComponent()
            second.arguments = ["--socket", socketPath, "--data-dir", folder.appendingPathComponent("data2").path]
            let errors = Pipe()
            second.standardError = errors
            try second.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            second.waitUntilExit()
            #expect(second.terminationStatus != 0)
            #expect(message.contains("already listening on \(socketPath)"))
            // The first one still serves.
            let client = try await RPCClient.connect(socketPath: socketPath)
            _ = try await client.unary(
                "/baton.rpc.v1.Health/Check",
                Baton_Rpc_V1_HealthCheckRequest(),
                as: Baton_Rpc_V1_HealthCheckResponse.self
            )
            await client.close()
        }
    }

    @Test("a client written from PROTOCOL.md alone (tools/examples/health_check.py) gets SERVING")
    func pythonClientFromTheSpecGetsServing() async throws {
        let script = BuiltProducts.repositoryRoot.appendingPathComponent("tools/examples/health_check.py")
        try await withBatond { _, socketPath, _ in
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", script.path, socketPath]
            let output = Pipe()
            python.standardOutput = output
            try python.run()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            python.waitUntilExit()
            #expect(python.terminationStatus == 0)
            #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "SERVING")
        }
    }
}
