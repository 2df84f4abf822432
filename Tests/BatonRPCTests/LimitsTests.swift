import BatonProtos
import BatonRPC
import BatonServer
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Limits, drain, and the socket", .timeLimit(.minutes(1)))
struct LimitsTests {
    // MARK: Frame size

    @Test("the client refuses to send a request larger than the server's maxFrameSize; the connection goes on")
    func oversizedRequest() async throws {
        try await withServer(configuration: { $0.maxFrameSize = 1024 }) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            try await client.ping()  // the server's SETTINGS, which come first, have arrived
            let error = await expectRPCError(.resourceExhausted) {
                try await client.unary(
                    Paths.unary,
                    echo("big") { $0.payload = Array(repeating: 7, count: 4096) },
                    as: EchoResponse.self
                )
            }
            #expect(error?.message.contains("limit of 1024 bytes") == true, "\(String(describing: error))")
            #expect(try await client.echoText("small") == "small")
        }
    }

    @Test(
        "a frame over maxFrameSize gets GOAWAY INVALID_ARGUMENT naming the limit, then close; a fresh connection works"
    )
    func oversizedFrameOnTheWire() async throws {
        try await withServer(configuration: { $0.maxFrameSize = 1024 }) { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(
                Wire.preface + Wire.open(stream: 1, method: Paths.unary)
                    + Wire.header(length: 1025, stream: 1, type: Wire.message)
            )
            let frames = try await raw.framesUntilClosed()
            let goAway = try #require(frames.compactMap(\.goAway).first, "frames: \(frames)")
            #expect(goAway.code == .invalidArgument)
            #expect(goAway.reason.contains("1025"))
            #expect(goAway.reason.contains("1024"))
            #expect(try await checkHealth(socketPath) == .serving)
        }
    }

    @Test("a request of exactly maxFrameSize bytes is served")
    func requestAtTheLimit() async throws {
        try await withServer(configuration: { $0.maxFrameSize = 1024 }) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            // Field 2: tag, two length bytes, 1021 bytes = 1024 bytes.
            let request = echo("") { $0.payload = Array(repeating: 1, count: 1021) }
            #expect(try request.serializedBytes().count == 1024)
            let response = try await client.unary(Paths.unary, request, as: EchoResponse.self)
            #expect(response.payload.count == 1021)
        }
    }

    @Test("a response larger than the client's maxFrameSize fails only that call with RESOURCE_EXHAUSTED")
    func oversizedResponse() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath, maxFrameSize: 1024)
            let error = await expectRPCError(.resourceExhausted) {
                try await client.unary(Paths.unary, echo("x") { $0.responsePayloadBytes = 4096 }, as: EchoResponse.self)
            }
            #expect(error?.message.contains("1024") == true, "\(String(describing: error))")
            #expect(try await client.echoText("the connection survives") == "the connection survives")
        }
    }

    @Test("the test service refuses to generate a payload above 4 MiB instead of allocating it; the connection goes on")
    func generatedPayloadAboveTheLimit() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let error = await expectRPCError(.invalidArgument) {
                try await client.unary(
                    Paths.unary,
                    echo("x") { $0.responsePayloadBytes = .max },
                    as: EchoResponse.self
                )
            }
            #expect(error?.message.contains("response_payload_bytes") == true, "\(String(describing: error))")
            let modest = try await client.unary(
                Paths.unary,
                echo("x") { $0.responsePayloadBytes = 65536 },
                as: EchoResponse.self
            )
            #expect(modest.payload.count == 65536)
        }
    }

    // MARK: Calls and connections

    @Test(
        "the call over maxConcurrentCallsPerConnection gets RESOURCE_EXHAUSTED; other connections are unaffected"
    )
    func maxConcurrentCalls() async throws {
        let probe = CallProbe()
        try await withServer(configuration: { $0.maxConcurrentCallsPerConnection = 2 }, services: [probe]) {
            _,
            socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let first = Task { try await client.unary(path: CallProbe.wait, request: ByteBuffer(string: "1")) }
            let second = Task { try await client.unary(path: CallProbe.wait, request: ByteBuffer(string: "2")) }
            await probe.log.wait(for: .started("1"))
            await probe.log.wait(for: .started("2"))

            let error = await expectRPCError(.resourceExhausted) { try await client.echoText("third") }
            #expect(error?.message.contains("2 calls") == true, "\(String(describing: error))")

            let other = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await other.echoText("elsewhere") == "elsewhere")

            probe.gate.open()
            #expect(String(buffer: try await first.value.message) == "1")
            #expect(String(buffer: try await second.value.message) == "2")
            #expect(try await client.echoText("after") == "after")
        }
    }

    @Test(
        "the connection after maxConnections is refused with RESOURCE_EXHAUSTED; a slot freed by the server is reused"
    )
    func maxConnections() async throws {
        try await withServer(configuration: { $0.maxConnections = 2 }) { _, socketPath in
            let first = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await first.echoText("1") == "1")
            let second = try RawConnection.connect(to: socketPath)
            _ = try await second.settings()  // served, so counted

            let refused = try await RPCClient.connect(socketPath: socketPath)
            let error = await expectRPCError(.resourceExhausted) { try await refused.echoText("3") }
            #expect(error?.message.contains("2 connections") == true, "\(String(describing: error))")

            let refusedRaw = try RawConnection.connect(to: socketPath)
            let refusal = try await refusedRaw.framesUntilClosed()
            #expect(refusal.compactMap(\.goAway).map(\.code) == [.resourceExhausted], "frames: \(refusal)")

            #expect(try await first.echoText("still served") == "still served")

            // The server closes `second` (a protocol error); its slot is free for a new connection.
            second.send(Wire.frame(stream: 0, type: 0x42))
            _ = try await second.framesUntilClosed()
            let replacement = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await replacement.echoText("4") == "4")
        }
    }

    @Test("SETTINGS advertise the server's configured limits")
    func settingsAdvertiseLimits() async throws {
        let configure: (inout RPCServerConfiguration) -> Void = {
            $0.maxFrameSize = 1024
            $0.maxConcurrentCallsPerConnection = 7
            $0.receiveWindow = 5
            $0.idleTimeout = .milliseconds(1500)
        }
        try await withServer(configuration: configure) { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            let settings = try await raw.settings()
            #expect(settings.maxFrameBytes == 1024)
            #expect(settings.maxConcurrentCalls == 7)
            #expect(settings.initialWindowMessages == 5)
            #expect(settings.idleTimeoutMillis == 1500)
        }
    }

    // MARK: Idle timeout

    @Test("an idle connection is closed by the server with a GOAWAY saying so")
    func idleTimeout() async throws {
        try await withServer(configuration: { $0.idleTimeout = .milliseconds(200) }) { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(Wire.preface)
            let frames = try await raw.framesUntilClosed()
            let goAway = try #require(frames.compactMap(\.goAway).first, "frames: \(frames)")
            #expect(goAway.code == .ok)
            #expect(goAway.reason.contains("idle"))
            #expect(try await checkHealth(socketPath) == .serving)
        }
    }

    @Test("a call running longer than the idle timeout is not cut off; the connection closes once idle after it")
    func idleTimeoutSparesCallsInFlight() async throws {
        try await withServer(configuration: { $0.idleTimeout = .seconds(1) }) { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            let request = try echo("patient") { $0.delayMillis = 2500 }.serializedBytes()
            raw.send(Wire.preface + Wire.call(stream: 1, method: Paths.unary, request: request))
            let frames = try await raw.framesUntilClosed()
            let trailers = try #require(frames.first { $0.type == Wire.trailers }, "frames: \(frames)")
            #expect(trailers.status?.code == .ok)
            let reply = try #require(frames.first { $0.type == Wire.message })
            #expect(try reply.decoded(as: EchoResponse.self).text == "patient")
            let goAwayIndex = try #require(frames.firstIndex { $0.type == Wire.goAway })
            #expect(goAwayIndex > frames.firstIndex(of: trailers)!)
            #expect(frames[goAwayIndex].goAway?.reason.contains("idle") == true)
        }
    }

    // MARK: Flow control

    @Test("a stream the client does not read stops at the window, and does not stall other calls on its connection")
    func slowReader() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let window = 4
            let client = try await RPCClient.connect(socketPath: socketPath, receiveWindow: window)
            let flood = try await client.makeCall(path: CallProbe.flood)
            try await flood.send(ByteBuffer(string: "100"))
            flood.closeSend()

            // The handler has sent a full window and is now trying to send one more.
            await probe.log.wait(for: .sending(window))
            #expect(try await client.echoText("not stalled") == "not stalled")
            try await client.ping()
            let sentWindow = await probe.log.contains(.sent(window - 1))
            let sentPastWindow = await probe.log.contains(.sent(window))
            #expect(sentWindow)
            #expect(!sentPastWindow, "the server sent past the client's window")

            var received: [String] = []
            for try await message in flood.responses { received.append(String(buffer: message)) }
            #expect(received == (0..<100).map(String.init))
        }
    }

    @Test(
        "an unread server stream of large messages on one connection does not stop a unary call on the same connection"
    )
    func unreadStreamDoesNotStallUnary() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let stream = try await client.makeCall(path: Paths.serverStream)
            try await stream.send(
                try encoded(
                    echo("bulk") {
                        $0.count = 300
                        $0.responsePayloadBytes = 16 * 1024
                    }
                )
            )
            stream.closeSend()
            for index in 0..<20 { #expect(try await client.echoText("u\(index)") == "u\(index)") }

            var indexes: [UInt32] = []
            for try await message in stream.responses { indexes.append(try decode(EchoResponse.self, message).index) }
            #expect(indexes == Array(0..<300))
        }
    }

    @Test("a client that sends past its window fails that call with RESOURCE_EXHAUSTED; the connection keeps serving")
    func clientOverrunsWindow() async throws {
        let probe = CallProbe()
        try await withServer(configuration: { $0.receiveWindow = 4 }, services: [probe]) { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            var bytes = Wire.preface + Wire.open(stream: 1, method: CallProbe.hold)
            for _ in 0..<6 { bytes += Wire.frame(stream: 1, type: Wire.message, payload: Array("x".utf8)) }
            raw.send(bytes)
            let frames = try await raw.frames { $0.type == Wire.trailers }
            #expect(frames.last?.stream == 1)
            #expect(frames.last?.status?.code == .resourceExhausted)
            raw.send(Wire.healthCheck(stream: 3))
            let check = try await raw.frames { $0.type == Wire.trailers || $0.type == Wire.goAway }
            #expect(check.last?.stream == 3)
            #expect(check.last?.status?.code == .ok)
        }
    }

    @Test("a window granted beyond maxWindowMessages, in SETTINGS or WINDOW_UPDATE, is honoured as that many messages")
    func windowCappedInMessages() async throws {
        let probe = CallProbe()
        try await withServer(configuration: { $0.maxWindowMessages = 40 }, services: [probe]) { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(
                Wire.preface + Wire.settingsFrame(window: UInt32.max)
                    + Wire.call(stream: 1, method: CallProbe.flood, request: Array("100".utf8))
            )
            await probe.log.wait(for: .sending(40))
            #expect(try await raw.messagesBeforePingAnswer() == 40)
            #expect(await !probe.log.contains(.sent(40)), "the server sent past its cap")

            raw.send(Wire.windowUpdateFrame(stream: 1, messages: UInt32.max))
            await probe.log.wait(for: .sending(80))
            #expect(try await raw.messagesBeforePingAnswer() == 40)
            #expect(await !probe.log.contains(.sent(80)), "the server sent past its cap")

            raw.send(Wire.windowUpdateFrame(stream: 1, messages: UInt32.max))
            let rest = try await raw.frames { $0.type == Wire.trailers }
            #expect(rest.filter { $0.type == Wire.message }.count == 20)
            #expect(rest.last?.status?.code == .ok)
        }
    }

    @Test(
        "unacknowledged responses stop at maxWindowBytes, never before 32 messages",
        arguments: [(maxWindowBytes: 64 * 1024, stopsAt: 64), (maxWindowBytes: 1, stopsAt: 32)]
    )
    func windowCappedInBytes(maxWindowBytes: Int, stopsAt: Int) async throws {
        let probe = CallProbe()
        try await withServer(configuration: { $0.maxWindowBytes = maxWindowBytes }, services: [probe]) {
            _,
            socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(
                Wire.preface + Wire.settingsFrame(window: 1000)
                    + Wire.call(stream: 1, method: CallProbe.flood, request: Array("500:1024".utf8))
            )
            await probe.log.wait(for: .sending(stopsAt))
            #expect(try await raw.messagesBeforePingAnswer() == stopsAt)
            #expect(await !probe.log.contains(.sent(stopsAt)), "the server sent past the byte cap")

            // Acknowledging the oldest 16 lets 16 more go.
            raw.send(Wire.windowUpdateFrame(stream: 1, messages: 16))
            await probe.log.wait(for: .sending(stopsAt + 16))
            #expect(try await raw.messagesBeforePingAnswer() == 16)
            #expect(await !probe.log.contains(.sent(stopsAt + 16)), "the server sent past the byte cap")
        }
    }

    @Test("a client announcing a huge window still gets every message of a long, large stream: it grants every 32")
    func hugeClientWindowStreamsPastTheServersCaps() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath, receiveWindow: 100_000)
            // 1,100 messages of 16 KiB: past both the message cap (1,024) and the byte cap (16 MiB).
            let responses = try await client.serverStreaming(
                Paths.serverStream,
                echo("x") {
                    $0.count = 1100
                    $0.responsePayloadBytes = 16 * 1024
                },
                as: EchoResponse.self
            )
            var received = 0
            for try await response in responses {
                #expect(response.index == UInt32(received))
                received += 1
            }
            #expect(received == 1100)
        }
    }

    @Test("a server configured with no response window at all still answers: the caps never go below 32 messages")
    func windowCapsBelowOneGrantStillAnswer() async throws {
        try await withServer(configuration: {
            $0.maxWindowMessages = 0
            $0.maxWindowBytes = 0
        }) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await client.echoText("unary") == "unary")
            let responses = try await client.serverStreaming(
                Paths.serverStream,
                echo("x") { $0.count = 100 },
                as: EchoResponse.self
            )
            var received = 0
            for try await _ in responses { received += 1 }
            #expect(received == 100)
        }
    }

    // MARK: Graceful drain

    @Test("shutdown drains: calls in flight finish, new calls and connections are refused, the socket is removed")
    func gracefulDrain() async throws {
        let probe = CallProbe()
        try await withServer(configuration: { $0.shutdownGracePeriod = .seconds(10) }, services: [probe]) {
            server,
            socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let inFlight = Task { try await client.unary(path: CallProbe.wait, request: ByteBuffer(string: "client")) }
            await probe.log.wait(for: .started("client"))
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(Wire.preface + Wire.call(stream: 1, method: CallProbe.wait, request: Array("raw".utf8)))
            await probe.log.wait(for: .started("raw"))

            let shutdown = Task { await server.shutdown() }
            let beforeGoAway = try await raw.frames { $0.type == Wire.goAway }
            let goAway = try #require(beforeGoAway.last?.goAway)
            #expect(goAway.code == .unavailable || goAway.code == .ok)
            #expect(goAway.lastStreamID == 1)

            // Draining: the listener is closed; a new call on the open connection is refused.
            await expectRPCError(.unavailable) { try await RPCClient.connect(socketPath: socketPath) }
            raw.send(Wire.healthCheck(stream: 3))
            let refusal = try await raw.frames { $0.type == Wire.trailers && $0.stream == 3 }
            #expect(refusal.last?.status?.code == .unavailable)

            probe.gate.open()
            #expect(String(buffer: try await inFlight.value.message) == "client")
            let rest = try await raw.framesUntilClosed()
            #expect(rest.filter { $0.stream == 1 }.map(\.type) == [Wire.message, Wire.trailers])  // no metadata: no HEADERS
            #expect(rest.last?.status?.code == .ok)

            await shutdown.value
            var info = stat()
            #expect(lstat(socketPath, &info) != 0 && errno == ENOENT, "the socket file should be removed")
            await expectRPCError(.unavailable) { try await client.echoText("too late") }
            await expectRPCError(.unavailable) { try await RPCClient.connect(socketPath: socketPath) }
        }
    }

    @Test("calls still running when the grace period ends fail with UNAVAILABLE and their handlers are cancelled")
    func gracePeriodExpires() async throws {
        let probe = CallProbe()
        try await withServer(configuration: { $0.shutdownGracePeriod = .seconds(1) }, services: [probe]) {
            server,
            socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let stuck = Task { try await client.unary(path: CallProbe.wait, request: ByteBuffer(string: "stuck")) }
            await probe.log.wait(for: .started("stuck"))
            await server.shutdown()
            await expectRPCError(.unavailable) { try await stuck.value }
            await probe.log.wait(for: .cancelled("stuck"))
        }
    }

    @Test("a grace period under one second still lets a call that finishes at once complete")
    func subSecondGracePeriod() async throws {
        let probe = CallProbe()
        try await withServer(configuration: { $0.shutdownGracePeriod = .milliseconds(900) }, services: [probe]) {
            server,
            socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(Wire.preface + Wire.call(stream: 1, method: CallProbe.wait, request: Array("quick".utf8)))
            await probe.log.wait(for: .started("quick"))
            let shutdown = Task { await server.shutdown() }
            _ = try await raw.frames { $0.type == Wire.goAway }
            probe.gate.open()
            let rest = try await raw.framesUntilClosed()
            let trailers = try #require(rest.first { $0.type == Wire.trailers })
            #expect(trailers.status?.code == .ok, "\(String(describing: trailers.status))")
            await shutdown.value
        }
    }

    // MARK: Peer credentials

    @Test("a peer whose uid is not allowed is refused with PERMISSION_DENIED naming the uid")
    func peerCredentialsRefused() async throws {
        let stranger = getuid() &+ 4242
        try await withServer(configuration: { $0.allowedUIDs = [stranger] }) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let error = await expectRPCError(.permissionDenied) { try await client.echoText("let me in") }
            #expect(error?.message.contains("uid \(getuid())") == true, "\(String(describing: error))")
            await expectRPCError(.permissionDenied) { try await checkHealth(socketPath) }
        }
    }

    @Test("a peer is allowed by its gid when its uid is not listed")
    func peerAllowedByGroup() async throws {
        try await withServer(configuration: {
            $0.allowedUIDs = [getuid() &+ 4242]
            $0.allowedGIDs = [getgid()]
        }) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await client.echoText("member") == "member")
        }
    }

    // MARK: The socket file

    @Test("a stale socket left by a dead server is replaced and the server starts")
    func staleSocketReplaced() async throws {
        try await withTemporaryDirectory { directory in
            let socketPath = "\(directory)/rpc.sock"
            try makeStaleSocket(at: socketPath)
            let server = RPCServer(
                configuration: testConfiguration(socketPath: socketPath),
                services: testServices(health: HealthService(), extra: []),
                logger: silentLogger
            )
            try await start(server)
            let status = try? await checkHealth(socketPath)
            await server.shutdown()
            #expect(status == .serving)
        }
    }

    @Test("starting a second server on a live socket fails clearly and leaves the first one serving")
    func liveSocketRefused() async throws {
        try await withServer { _, socketPath in
            let second = RPCServer(
                configuration: testConfiguration(socketPath: socketPath),
                services: [],
                logger: silentLogger
            )
            let reason = await startFailure(second)
            #expect(reason.contains("already listening"), "\(reason)")
            let status = try await checkHealth(socketPath)
            #expect(status == .serving)
        }
    }

    @Test("a regular file at the socket path is left alone and the server refuses to start")
    func regularFileRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/rpc.sock"
            let contents = Array("precious data".utf8)
            let descriptor = open(path, O_CREAT | O_WRONLY, 0o600)
            #expect(write(descriptor, contents, contents.count) == contents.count)
            close(descriptor)

            let server = RPCServer(
                configuration: testConfiguration(socketPath: path),
                services: [],
                logger: silentLogger
            )
            let reason = await startFailure(server)
            #expect(reason.contains("not a socket"), "\(reason)")
            #expect(readFile(path) == contents)
        }
    }

    @Test("the socket's folders are created 0700 and the socket has no group or other permissions")
    func socketPermissions() async throws {
        try await withTemporaryDirectory { directory in
            let socketPath = "\(directory)/run/baton/rpc.sock"
            let server = RPCServer(
                configuration: testConfiguration(socketPath: socketPath),
                services: testServices(health: HealthService(), extra: []),
                logger: silentLogger
            )
            try await start(server)
            let folders = [permissions(of: "\(directory)/run"), permissions(of: "\(directory)/run/baton")]
            let socket = permissions(of: socketPath)
            let socketIsASocket = isSocket(socketPath)
            let status = try? await checkHealth(socketPath)
            await server.shutdown()
            #expect(folders == [0o700, 0o700])
            #expect(socketIsASocket)
            #expect(socket.map { $0 & 0o077 } == 0, "socket mode \(String(socket ?? 0, radix: 8))")
            #expect(status == .serving)
        }
    }

    @Test("with a socket group the folder is 0750 and the socket 0660, owned by that group")
    func socketGroupPermissions() async throws {
        try await withTemporaryDirectory { directory in
            let socketPath = "\(directory)/baton/rpc.sock"
            let server = RPCServer(
                configuration: testConfiguration(socketPath: socketPath) { $0.socketGroup = getgid() },
                services: testServices(health: HealthService(), extra: []),
                logger: silentLogger
            )
            try await start(server)
            var folderInfo = stat()
            var socketInfo = stat()
            stat("\(directory)/baton", &folderInfo)
            stat(socketPath, &socketInfo)
            await server.shutdown()
            #expect(folderInfo.st_mode & 0o7777 == 0o750)
            #expect(socketInfo.st_mode & 0o777 == 0o660, "socket mode \(String(socketInfo.st_mode & 0o777, radix: 8))")
            #expect(socketInfo.st_gid == getgid())
        }
    }
}

/// Leaves a socket file at `path` with nobody listening, as a crashed server would.
private func makeStaleSocket(at path: String) throws {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8.prefix($0.count - 1)) }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard result == 0 else { throw TestFailure("bind \(path): \(String(cString: strerror(errno)))") }
    #expect(isSocket(path))
}

/// Why `server` failed to start; records an issue when it started.
private func startFailure(_ server: RPCServer, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    do {
        try await start(server)
        Issue.record("the server started", sourceLocation: sourceLocation)
        await server.shutdown()
        return "started"
    } catch {
        return "\(error)"
    }
}

/// The permission bits of `path`, nil when it does not exist.
private func permissions(of path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

private func isSocket(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
}

private func readFile(_ path: String) -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = read(descriptor, &buffer, buffer.count)
    return Array(buffer.prefix(max(0, count)))
}
