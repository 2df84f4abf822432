import BatonProtos
import BatonRPC
import BatonServer
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite("End to end over a Unix socket", .timeLimit(.minutes(1)))
struct EndToEndTests {
    // MARK: The four call kinds

    @Test("a unary call echoes its request")
    func unary() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let response = try await client.unary(
                Paths.unary,
                echo("hello") { $0.payload = [0, 1, 2, 255] },
                as: EchoResponse.self
            )
            #expect(response.text == "hello")
            #expect(response.payload == [0, 1, 2, 255])
            #expect(response.index == 0)
            #expect(response.receivedCount == 1)
        }
    }

    @Test("a server stream delivers many messages, all of them, in order")
    func serverStreaming() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            // Far more messages than one flow-control window (64), so credit must flow back.
            let responses = try await client.serverStreaming(
                Paths.serverStream,
                echo("tick") { $0.count = 500 },
                as: EchoResponse.self
            )
            var indexes: [UInt32] = []
            for try await response in responses {
                #expect(response.text == "tick")
                indexes.append(response.index)
            }
            #expect(indexes == Array(0..<500))
        }
    }

    @Test("a client stream delivers every request, in order, before the single response")
    func clientStreaming() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let texts = (0..<200).map { "\($0)," }
            let requests = AsyncThrowingStream<EchoRequest, any Error> { continuation in
                for text in texts { continuation.yield(echo(text)) }
                continuation.finish()
            }
            let response = try await client.clientStreaming(
                Paths.clientStream,
                requests: requests,
                as: EchoResponse.self
            )
            #expect(response.text == texts.joined())
            #expect(response.receivedCount == 200)
        }
    }

    @Test("a client stream with no requests at all is answered")
    func clientStreamingWithoutRequests() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let requests = AsyncThrowingStream<EchoRequest, any Error> { $0.finish() }
            let response = try await client.clientStreaming(
                Paths.clientStream,
                requests: requests,
                as: EchoResponse.self
            )
            #expect(response.text == "")
            #expect(response.receivedCount == 0)
        }
    }

    @Test("a bidirectional call answers each request before the client half-closes")
    func bidirectional() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: Paths.bidi)
            var responses = call.responses.makeAsyncIterator()

            try await call.send(try encoded(echo("one")))
            let first = try decode(EchoResponse.self, try #require(try await responses.next()))
            #expect(first.text == "one")
            #expect(first.receivedCount == 1)

            try await call.send(try encoded(echo("two") { $0.count = 2 }))
            let second = try decode(EchoResponse.self, try #require(try await responses.next()))
            let third = try decode(EchoResponse.self, try #require(try await responses.next()))
            #expect([second.text, third.text] == ["two", "two"])
            #expect([second.index, third.index] == [1, 2])
            #expect([second.receivedCount, third.receivedCount] == [2, 2])

            call.closeSend()
            #expect(try await responses.next() == nil)
            _ = try await call.trailingMetadata()
        }
    }

    // MARK: Metadata

    @Test("request metadata reaches the handler in order, repeated keys, binary values and all")
    func requestMetadata() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            var metadata: RPCMetadata = ["x-request-id": "9f1c-42"]
            metadata.add("x-tag", "first")
            metadata.add("X-Tag", "second")
            metadata.add("x-trace-bin", bytes: [0, 1, 0x80, 0xff])
            let response = try await client.unary(Paths.unary, echo("m"), as: EchoResponse.self, metadata: metadata)
            let received = RPCMetadata(response.receivedMetadata)
            #expect(received == metadata)
            #expect(received.entries.map(\.key) == ["x-request-id", "x-tag", "x-tag", "x-trace-bin"])
        }
    }

    @Test("response headers and trailers metadata reach the caller")
    func responseMetadata() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: CallProbe.metadata)
            try await call.send(ByteBuffer(string: "payload"))
            call.closeSend()
            var messages: [String] = []
            for try await message in call.responses { messages.append(String(buffer: message)) }
            #expect(messages == ["payload"])
            #expect(try await call.initialMetadata == ["x-initial": "hello"])
            var expectedTrailers: RPCMetadata = ["x-trailing": "bye"]
            expectedTrailers.add("x-trace-bin", bytes: [0, 1, 254, 255])
            #expect(try await call.trailingMetadata() == expectedTrailers)
        }
    }

    /// PROTOCOL.md 6.2: without response metadata the server sends no HEADERS.
    @Test("a streaming call whose handler set no response metadata has empty, not missing, initial metadata once a message came")
    func emptyInitialMetadataWithoutHeaders() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: Paths.bidi)
            var responses = call.responses.makeAsyncIterator()
            try await call.send(try encoded(echo("one")))
            _ = try #require(try await responses.next())
            #expect(try await call.initialMetadata == RPCMetadata())
            call.closeSend()
            _ = try await call.trailingMetadata()
        }
    }

    @Test("a failing handler's status carries its message, trailing metadata and typed details")
    func errorWithDetailsAndMetadata() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let error = await expectRPCError(.failedPrecondition) {
                try await client.unary(path: CallProbe.failWithDetails, request: ByteBuffer())
            }
            #expect(error?.message == "the chat already ended")
            #expect(error?.metadata["x-why"] == "ended")
            #expect(error?.detail(Baton_Rpc_V1_RetryInfo.self)?.retryAfterMillis == 250)
        }
    }

    /// envelope.proto: ResponseHeaders are sent "before the first response message (or with the
    /// trailers, if there are no messages)".
    @Test("response headers set by a handler that then fails still reach the caller")
    func responseHeadersWithoutMessages() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            // The handler fails without reading its request, so none is sent (the send could race the trailers).
            let call = try await client.makeCall(path: CallProbe.failWithDetails)
            call.closeSend()
            await expectRPCError(.failedPrecondition) { try await call.trailingMetadata() }
            #expect(try await call.initialMetadata == ["x-initial": "set-before-failing"])
        }
    }

    // MARK: Deadlines and cancellation

    @Test("a slow handler with a short timeout fails with DEADLINE_EXCEEDED and its task is cancelled")
    func deadlineExceeded() async throws {
        let probe = CallProbe()
        // One call per connection: the next call only works if the expired one released its slot.
        try await withServer(configuration: { $0.maxConcurrentCallsPerConnection = 1 }, services: [probe]) {
            _,
            socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            await expectRPCError(.deadlineExceeded) {
                try await client.unary(
                    path: CallProbe.wait,
                    request: ByteBuffer(string: "slow"),
                    timeout: .milliseconds(50)
                )
            }
            await probe.log.wait(for: .cancelled("slow"))
            #expect(try await client.echoText("next") == "next")
        }
    }

    @Test("the echo service's delay with a short timeout ends in DEADLINE_EXCEEDED")
    func deadlineOnTestService() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            await expectRPCError(.deadlineExceeded) {
                try await client.unary(
                    Paths.unary,
                    echo("late") { $0.delayMillis = 60_000 },
                    as: EchoResponse.self,
                    timeout: .milliseconds(50)
                )
            }
            #expect(try await client.echoText("on time") == "on time")
        }
    }

    @Test("the server enforces the deadline itself: a client that never cancels still gets DEADLINE_EXCEEDED trailers")
    func serverSideDeadline() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            raw.send(
                Wire.preface
                    + Wire.call(stream: 1, method: CallProbe.wait, request: Array("raw".utf8), timeoutMicros: 50_000)
            )
            let frames = try await raw.frames { $0.type == Wire.trailers }
            #expect(frames.last?.stream == 1)
            #expect(frames.last?.status?.code == .deadlineExceeded)
            await probe.log.wait(for: .cancelled("raw"))
        }
    }

    @Test("a timeout too large to express in microseconds means no practical deadline, not a crash")
    func hugeTimeout() async {
        await #expect(processExitsWith: .success) {
            try await withServer { _, socketPath in
                let client = try await RPCClient.connect(socketPath: socketPath)
                let response = try await client.unary(
                    Paths.unary,
                    echo("forever"),
                    as: EchoResponse.self,
                    timeout: .seconds(Int64.max)
                )
                guard response.text == "forever" else { throw TestFailure("wrong echo: \(response)") }
            }
        }
    }

    @Test(
        "cancelling the calling task: CANCELLED, the handler is cancelled, the connection keeps serving"
    )
    func clientCancellation() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let task = Task { try await client.unary(path: CallProbe.wait, request: ByteBuffer(string: "doomed")) }
            await probe.log.wait(for: .started("doomed"))
            task.cancel()
            await expectRPCError(.cancelled) { try await task.value }
            await probe.log.wait(for: .cancelled("doomed"))
            #expect(try await client.echoText("still here") == "still here")
        }
    }

    @Test("RPCClientCall.cancel ends a server stream with CANCELLED")
    func cancelStreamingCall() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: Paths.serverStream)
            try await call.send(try encoded(echo("s") { $0.count = 1_000_000 }))
            call.closeSend()
            var responses = call.responses.makeAsyncIterator()
            _ = try await responses.next()
            call.cancel()
            await expectRPCError(.cancelled) { try await call.trailingMetadata() }
            #expect(try await client.echoText("after") == "after")
        }
    }

    // MARK: Errors

    @Test("an unknown method fails with UNIMPLEMENTED naming it")
    func unknownMethod() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let error = await expectRPCError(.unimplemented) {
                try await client.unary("/baton.test.v1.TestService/NoSuchMethod", echo("x"), as: EchoResponse.self)
            }
            #expect(error?.message.contains("/baton.test.v1.TestService/NoSuchMethod") == true)
            #expect(try await client.echoText("ok") == "ok")
        }
    }

    @Test("a status message echoing a huge method name is capped at 4096 bytes")
    func longStatusMessageIsCapped() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let path = "/baton.test.v1.TestService/" + String(repeating: "x", count: 10_000)
            let error = await expectRPCError(.unimplemented) {
                try await client.unary(path: path, request: ByteBuffer())
            }
            #expect((error?.message.utf8.count ?? .max) <= 4096, "\(error?.message.utf8.count ?? -1) bytes")
            #expect(error?.message.hasPrefix("unknown method /baton.test.v1.TestService/xxx") == true)
        }
    }

    @Test("every status code a handler fails with reaches the caller with its message")
    func handlerStatus() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            for rawCode in Int32(1)...16 {
                let code = RPCError.Code(rawValue: rawCode)
                let error = await expectRPCError(code) {
                    try await client.unary(
                        Paths.unary,
                        echo("x") {
                            $0.failWith = .init(rawValue: rawCode)
                            $0.failMessage = "failed with \(code.name) on purpose"
                        },
                        as: EchoResponse.self
                    )
                }
                #expect(error?.message == "failed with \(code.name) on purpose")
            }
        }
    }

    @Test("a stream that fails midway delivers the messages sent before the failure, then the status")
    func streamFailsMidway() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let responses = try await client.serverStreaming(
                Paths.serverStream,
                echo("x") {
                    $0.count = 10
                    $0.failWith = .aborted
                    $0.failMessage = "version conflict"
                    $0.failAfterMessages = 3
                },
                as: EchoResponse.self
            )
            var indexes: [UInt32] = []
            let error = await expectRPCError(.aborted) {
                for try await response in responses { indexes.append(response.index) }
            }
            #expect(indexes == [0, 1, 2])
            #expect(error?.message == "version conflict")
        }
    }

    @Test("a handler's unexpected error becomes INTERNAL without leaking its text")
    func unexpectedErrorIsInternal() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let error = await expectRPCError(.internal) {
                try await client.unary(path: CallProbe.crash, request: ByteBuffer())
            }
            #expect(error?.message.contains("hunter2") == false)
            #expect(error?.message.contains("/srv/internal") == false)
        }
    }

    @Test("invalid request bytes fail only their own call; a concurrent call on the same connection carries on")
    func invalidRequestBytes() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let bystander = try await client.makeCall(path: Paths.bidi)
            var bystanderResponses = bystander.responses.makeAsyncIterator()
            try await bystander.send(try encoded(echo("before")))
            #expect(try decode(EchoResponse.self, try #require(try await bystanderResponses.next())).text == "before")

            // Field 1 (text) claims 5 bytes but only 1 follows.
            let garbage = ByteBuffer(bytes: [0x0a, 0x05, 0x41])
            let error = await expectRPCError(.invalidArgument) {
                try await client.unary(path: Paths.unary, request: garbage)
            }
            #expect(error?.message.contains("baton.test.v1.EchoRequest") == true)

            try await bystander.send(try encoded(echo("after")))
            #expect(try decode(EchoResponse.self, try #require(try await bystanderResponses.next())).text == "after")
            bystander.closeSend()
            #expect(try await bystanderResponses.next() == nil)
        }
    }

    @Test("a client that half-closes its socket after sending a call still gets the answer, then the server closes")
    func halfClosedClientGetsItsAnswer() async throws {
        try await withServer { _, socketPath in
            let raw = try RawConnection.connect(to: socketPath)
            let request = try echo("half") { $0.delayMillis = 50 }.serializedBytes()
            raw.send(Wire.preface + Wire.call(stream: 1, method: Paths.unary, request: request))
            raw.shutdownWrite()
            let frames = try await raw.framesUntilClosed()
            #expect(frames.filter { $0.stream == 1 }.map(\.type) == [Wire.message, Wire.trailers])  // no metadata: no HEADERS
            #expect(frames.last?.status?.code == .ok)
            #expect(try frames.first { $0.type == Wire.message }?.decoded(as: EchoResponse.self).text == "half")
        }
    }

    // MARK: Empty messages

    @Test("an empty message is a valid request: Health/Check with zero request bytes answers SERVING")
    func emptyRequestIsAMessage() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let response = try await client.unary(path: Paths.healthCheck, request: ByteBuffer())
            #expect(try decode(Baton_Rpc_V1_HealthCheckResponse.self, response.message).status == .serving)
            let echoed = try decode(
                EchoResponse.self,
                try await client.unary(path: Paths.unary, request: ByteBuffer()).message
            )
            #expect(echoed.text == "")
            #expect(echoed.receivedCount == 1)
        }
    }

    @Test("an empty response message reaches the caller as a message")
    func emptyResponseIsAMessage() async throws {
        let probe = CallProbe()
        try await withServer(services: [probe]) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let response = try await client.unary(path: CallProbe.empty, request: ByteBuffer())
            #expect(response.message.readableBytes == 0)
        }
    }

    @Test("a call that ends without its request message is INVALID_ARGUMENT, distinct from an empty message")
    func noMessageIsNotAnEmptyMessage() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: Paths.healthCheck)
            call.closeSend()
            let error = await expectRPCError(.invalidArgument) { try await call.trailingMetadata() }
            #expect(error?.message.contains("ended without its request message") == true)
        }
    }

    // MARK: Health

    @Test("Health/Check reports the server and each service as set, and NOT_FOUND for an unknown one")
    func healthCheck() async throws {
        let health = HealthService()
        try await withServer(health: health) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            func check(_ service: String) async throws -> Baton_Rpc_V1_ServingStatus {
                var request = Baton_Rpc_V1_HealthCheckRequest()
                request.service = service
                return try await client.unary(Paths.healthCheck, request, as: Baton_Rpc_V1_HealthCheckResponse.self)
                    .status
            }
            #expect(try await check("") == .serving)
            health.setStatus(.notServing, for: "baton.test.v1.TestService")
            #expect(try await check("baton.test.v1.TestService") == .notServing)
            let error = await expectRPCError(.notFound) { try await check("baton.v1.NoSuchService") }
            #expect(error?.message.contains("baton.v1.NoSuchService") == true)
        }
    }

    @Test("Health/Watch sends the current status, then every change")
    func healthWatch() async throws {
        let health = HealthService()
        try await withServer(health: health) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: Paths.healthWatch)
            try await call.send(ByteBuffer())
            call.closeSend()
            var responses = call.responses.makeAsyncIterator()
            func nextStatus() async throws -> Baton_Rpc_V1_ServingStatus {
                try decode(Baton_Rpc_V1_HealthCheckResponse.self, try #require(try await responses.next())).status
            }
            #expect(try await nextStatus() == .serving)
            health.setStatus(.notServing)
            #expect(try await nextStatus() == .notServing)
            health.setStatus(.serving)
            #expect(try await nextStatus() == .serving)
            call.cancel()
            await expectRPCError(.cancelled) { try await call.trailingMetadata() }
            #expect(try await client.echoText("ok") == "ok")
        }
    }

    @Test("Health/Watch of an unknown service says SERVICE_UNKNOWN, then follows it once it appears")
    func healthWatchUnknownService() async throws {
        let health = HealthService()
        try await withServer(health: health) { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            var request = Baton_Rpc_V1_HealthCheckRequest()
            request.service = "baton.v1.Chats"
            let call = try await client.makeCall(path: Paths.healthWatch)
            try await call.send(try encoded(request))
            call.closeSend()
            var responses = call.responses.makeAsyncIterator()
            let first = try decode(Baton_Rpc_V1_HealthCheckResponse.self, try #require(try await responses.next()))
            #expect(first.status == .serviceUnknown)
            health.setStatus(.serving, for: "baton.v1.Chats")
            let second = try decode(Baton_Rpc_V1_HealthCheckResponse.self, try #require(try await responses.next()))
            #expect(second.status == .serving)
            call.cancel()
        }
    }

    /// health.proto: "When the server drains it sends NOT_SERVING before ending the stream."
    @Test("a Health/Watch open when the server drains is told NOT_SERVING and does not hold up the shutdown")
    func healthWatchDuringDrain() async throws {
        try await withServer(configuration: { $0.shutdownGracePeriod = .seconds(1) }) { server, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: Paths.healthWatch)
            try await call.send(ByteBuffer())
            call.closeSend()
            var responses = call.responses.makeAsyncIterator()
            let first = try decode(Baton_Rpc_V1_HealthCheckResponse.self, try #require(try await responses.next()))
            #expect(first.status == .serving)
            let shutdown = Task { await server.shutdown() }
            let status: Baton_Rpc_V1_ServingStatus?
            do {
                status = try await responses.next().map { try decode(Baton_Rpc_V1_HealthCheckResponse.self, $0).status }
            } catch {
                Issue.record("the watch ended with \(error) instead of reporting NOT_SERVING")
                status = nil
            }
            #expect(status == .notServing)
            await shutdown.value
        }
    }

    /// A feed that only ends when cancelled, as Events/Watch does.
    private struct EndlessFeed: RPCService {
        static let path = "/baton.test.v1.EndlessFeed/Follow"
        var methods: [RPCMethodHandler] {
            [
                RPCMethodHandler.serverStreaming(Self.path) {
                    (_: EchoRequest, writer: RPCStreamWriter<EchoResponse>, _) in
                    var response = EchoResponse()
                    response.text = "first"
                    try await writer.send(response)
                    try await Task.sleep(for: .seconds(3600))
                }
                .endingOnShutdown()
            ]
        }
    }

    @Test("a shutdown ends a stream marked endingOnShutdown at once with UNAVAILABLE, not after the grace period")
    func endlessStreamEndsOnShutdown() async throws {
        try await withServer(
            configuration: { $0.shutdownGracePeriod = .seconds(600) },
            services: [EndlessFeed()]
        ) { server, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: EndlessFeed.path)
            try await call.send(ByteBuffer())
            call.closeSend()
            var responses = call.responses.makeAsyncIterator()
            #expect(try decode(EchoResponse.self, try #require(try await responses.next())).text == "first")
            let shutdown = Task { await server.shutdown() }
            do {
                _ = try await responses.next()
                Issue.record("the feed ended with OK")
            } catch let error as RPCError {
                #expect(error.code == .unavailable)
                #expect(error.message.contains("resume"), "ended by the grace timer instead: \(error.message)")
            }
            await shutdown.value
        }
    }

    /// A handler that, once cancelled, still has work to finish off the event loop (as a
    /// database read does), then resumes on its loop to clean up.
    private struct SlowToStop: RPCService {
        static let path = "/baton.test.v1.SlowToStop/Follow"
        let cleanedUp: NIOLockedValueBox<Bool>
        var methods: [RPCMethodHandler] {
            let cleanedUp = self.cleanedUp
            return [
                RPCMethodHandler.serverStreaming(Self.path) {
                    (_: EchoRequest, writer: RPCStreamWriter<EchoResponse>, _) in
                    try await writer.send(EchoResponse())
                    try? await Task.sleep(for: .seconds(3600))
                    // Cancelled by the shutdown: finish something that takes a while elsewhere.
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { done.resume() }
                    }
                    cleanedUp.withLockedValue { $0 = true }
                }
                .endingOnShutdown()
            ]
        }
    }

    @Test("shutdown waits for cancelled handlers to finish before it stops their event loops")
    func shutdownWaitsForCancelledHandlers() async throws {
        let cleanedUp = NIOLockedValueBox(false)
        try await withServer(services: [SlowToStop(cleanedUp: cleanedUp)]) { server, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let call = try await client.makeCall(path: SlowToStop.path)
            try await call.send(ByteBuffer())
            call.closeSend()
            var responses = call.responses.makeAsyncIterator()
            _ = try await responses.next()
            await server.shutdown()
            // Stranded on a stopped loop, the handler would never have got this far.
            #expect(cleanedUp.withLockedValue { $0 })
            await client.close()
        }
    }

    // MARK: Reflection

    @Test("Reflection/ListServices lists the served services, ordered by full name, with each method's kind and types")
    func listServices() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let response = try await client.unary(
                Paths.listServices,
                Baton_Rpc_V1_ListServicesRequest(),
                as: Baton_Rpc_V1_ListServicesResponse.self
            )
            let names = response.services.map(\.fullName)
            #expect(Set(names) == ["baton.rpc.v1.Health", "baton.rpc.v1.Reflection", "baton.test.v1.TestService"])
            #expect(names == names.sorted(), "services should be ordered by full name")

            let testService = try #require(response.services.first { $0.fullName == "baton.test.v1.TestService" })
            #expect(testService.name == "TestService")
            #expect(testService.fileName == "baton/test/v1/test_messages.proto")
            #expect(!testService.comment.isEmpty)
            let methods = testService.methods.map { [$0.name, $0.fullName, $0.path, $0.inputType, $0.outputType] }
            #expect(
                methods
                    == [
                        ["Unary", "baton.test.v1.TestService.Unary", Paths.unary],
                        ["ServerStream", "baton.test.v1.TestService.ServerStream", Paths.serverStream],
                        ["ClientStream", "baton.test.v1.TestService.ClientStream", Paths.clientStream],
                        ["Bidi", "baton.test.v1.TestService.Bidi", Paths.bidi],
                    ].map { $0 + ["baton.test.v1.EchoRequest", "baton.test.v1.EchoResponse"] }
            )
            #expect(
                testService.methods.map(\.streamingKind) == [
                    .unary, .serverStreaming, .clientStreaming, .bidiStreaming,
                ]
            )

            let health = try #require(response.services.first { $0.fullName == "baton.rpc.v1.Health" })
            #expect(health.methods.map(\.name) == ["Check", "Watch"])
            #expect(health.methods.map(\.streamingKind) == [.unary, .serverStreaming])
        }
    }

    @Test("Reflection/GetSchema returns the files defining a symbol, each after its imports, named in the same order")
    func getSchema() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            var request = Baton_Rpc_V1_GetSchemaRequest()
            request.symbols = ["baton.test.v1.EchoRequest", "baton.test.v1.TestService.Unary"]
            let response = try await client.unary(Paths.getSchema, request, as: Baton_Rpc_V1_GetSchemaResponse.self)
            #expect(
                Set(response.fileNames)
                    == [
                        "baton/test/v1/test_messages.proto", "baton/rpc/v1/envelope.proto",
                        "google/protobuf/timestamp.proto",
                    ]
            )
            #expect(response.fileNames.last == "baton/test/v1/test_messages.proto")

            let files = try DescriptorSetReader.files(in: response.fileDescriptorSet)
            #expect(files.map(\.name) == response.fileNames)
            for (position, file) in files.enumerated() {
                for dependency in file.dependencies {
                    #expect(
                        files[..<position].contains { $0.name == dependency },
                        "\(file.name) comes before its import \(dependency)"
                    )
                }
            }
        }
    }

    @Test("Reflection/GetSchema with no symbols returns every file; an unknown symbol is NOT_FOUND")
    func getSchemaEverythingAndUnknown() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            let everything = try await client.unary(
                Paths.getSchema,
                Baton_Rpc_V1_GetSchemaRequest(),
                as: Baton_Rpc_V1_GetSchemaResponse.self
            )
            #expect(everything.fileNames == BatonSchema.files.map(\.name))
            #expect(try DescriptorSetReader.files(in: everything.fileDescriptorSet).map(\.name) == everything.fileNames)

            var request = Baton_Rpc_V1_GetSchemaRequest()
            request.symbols = ["baton.test.v1.EchoRequest", "baton.test.v1.NoSuchMessage"]
            let error = await expectRPCError(.notFound) {
                try await client.unary(Paths.getSchema, request, as: Baton_Rpc_V1_GetSchemaResponse.self)
            }
            #expect(error?.message.contains("baton.test.v1.NoSuchMessage") == true)
        }
    }

    // MARK: Ping and the server going away

    @Test("ping round-trips, several at once")
    func ping() async throws {
        try await withServer { _, socketPath in
            let client = try await RPCClient.connect(socketPath: socketPath)
            try await client.ping()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 { group.addTask { try await client.ping() } }
                try await group.waitForAll()
            }
        }
    }

    @Test("once the server is gone, calls and pings fail with UNAVAILABLE and connecting fails cleanly")
    func serverGone() async throws {
        var socket = ""
        var survivor: RPCClient?
        try await withServer { _, socketPath in
            socket = socketPath
            survivor = try await RPCClient.connect(socketPath: socketPath)
            #expect(try await survivor?.echoText("alive") == "alive")
        }
        let client = try #require(survivor)
        await expectRPCError(.unavailable) { try await client.echoText("dead") }
        await expectRPCError(.unavailable) { try await client.ping() }
        await expectRPCError(.unavailable) { try await RPCClient.connect(socketPath: socket) }
    }
}

/// Reads just enough of a serialized google.protobuf.FileDescriptorSet to check it: each file's
/// name (FileDescriptorProto field 1) and imports (field 3), in order.
enum DescriptorSetReader {
    struct File {
        var name = ""
        var dependencies: [String] = []
    }

    static func files(in bytes: [UInt8]) throws -> [File] {
        try fields(of: bytes[...]).filter { $0.number == 1 }.map { field in
            var file = File()
            for inner in try fields(of: field.bytes) {
                if inner.number == 1 { file.name = String(decoding: inner.bytes, as: UTF8.self) }
                if inner.number == 3 { file.dependencies.append(String(decoding: inner.bytes, as: UTF8.self)) }
            }
            return file
        }
    }

    /// The length-delimited fields of a message; other wire types are skipped.
    private static func fields(of bytes: ArraySlice<UInt8>) throws -> [(number: Int, bytes: ArraySlice<UInt8>)] {
        var result: [(Int, ArraySlice<UInt8>)] = []
        var position = bytes.startIndex
        func varint() throws -> Int {
            var value = 0
            var shift = 0
            while true {
                guard position < bytes.endIndex, shift < 64 else { throw TestFailure("truncated varint") }
                let byte = bytes[position]
                position += 1
                value |= Int(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { return value }
            }
        }
        while position < bytes.endIndex {
            let key = try varint()
            switch key & 7 {
            case 0: _ = try varint()
            case 1: position += 8
            case 2:
                let length = try varint()
                guard position + length <= bytes.endIndex else { throw TestFailure("truncated field") }
                result.append((key >> 3, bytes[position..<(position + length)]))
                position += length
            case 5: position += 4
            default: throw TestFailure("unexpected wire type \(key & 7)")
            }
        }
        return result
    }
}
