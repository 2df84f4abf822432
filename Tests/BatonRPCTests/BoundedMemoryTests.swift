import BatonProtos
import BatonRPC
import BatonTestSupport
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Clients that never read, grant huge windows, vanish mid-stream or come and go by the
/// hundred thousand, against the real batond: its resident memory stays within the bounds
/// PROTOCOL.md section 14 states, and another connection keeps getting answers meanwhile.
///
/// batond runs one event loop thread (but for the cycles), so the bystander shares the hostile
/// connection's loop.
@Suite("Bounded memory under hostile clients", .serialized, .timeLimit(.minutes(5)))
struct BoundedMemoryTests {
    /// What a connection pipelining unary calls may add to batond's memory: its write buffer
    /// (`--max-write-buffer`, 1 MiB), the 64 KiB answer each of its 100 calls holds while it
    /// waits (a few copies while it is built and encoded), its unparsed input and the
    /// allocator's slack. (Measured: 25 MB; 486 MB before writes were bounded.)
    static let boundForPipelinedCalls = 48 << 20

    /// What a server stream into a huge window may add: the write buffer, the one answer its
    /// handler holds, and slack. (Measured: 2 MB; 280 MB before.)
    static let boundForOneStream = 16 << 20

    /// What 90,000 closed connections may leave behind: allocator slack, not a share of each.
    /// (Measured: 0.2 MB; 93 MB before, about 1 KB per connection.)
    static let boundForClosedConnections = 8 << 20

    /// The threads the connect / call / close cycles run on, blocking in system calls.
    static let clientThreadCount = 4
    static let clientThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: clientThreadCount)
        pool.start()
        return pool
    }()

    /// batond with the test service on `threads` event loops, and a bystander connection.
    func withBatond(threads: Int = 1, _ body: (BatondProcess, RPCClient) async throws -> Void) async throws {
        try await BatondProcess.with(["--enable-test-service", "--threads", "\(threads)"]) { batond in
            let bystander = try await RPCClient.connect(socketPath: batond.socketPath)
            try await body(batond, bystander)
            await bystander.close()
        }
    }

    /// The bystander asks for health 20 times, each answered SERVING, while batond's resident
    /// memory, sampled after each answer, stays within `bound` of `baseline`.
    func expectBystanderServed(
        by batond: BatondProcess,
        _ bystander: RPCClient,
        growingAtMost bound: Int,
        from baseline: Int
    ) async throws {
        var peak = baseline
        for _ in 0..<20 {
            #expect(try await bystander.healthStatus() == .serving)
            peak = max(peak, try batond.residentMemoryBytes())
        }
        #expect(peak - baseline <= bound, "batond grew \(peak - baseline) bytes, more than \(bound)")
    }

    @Test("unary calls with 64 KiB answers pipelined by a client that never reads: batond stops reading it")
    func pipelinedCallsWithoutReading() async throws {
        try await withBatond { batond, bystander in
            #expect(try await bystander.healthStatus() == .serving)
            let baseline = try batond.residentMemoryBytes()
            var peak = baseline

            let flood = try RawConnection.connect(to: batond.socketPath)
            flood.send(Wire.preface)
            let request = try echo("big") { $0.responsePayloadBytes = 65536 }.serializedBytes()
            var stream: UInt32 = 1
            var stoppedReading = false
            // 30,000 calls would be 1.9 GiB of answers.
            for _ in 0..<600 {
                var batch: [UInt8] = []
                for _ in 0..<50 {
                    batch += Wire.call(stream: stream, method: Paths.unary, request: request)
                    stream += 2
                }
                peak = max(peak, try batond.residentMemoryBytes())
                guard flood.sendUnlessFull(batch, patienceMillis: 2000) else {
                    stoppedReading = true
                    break
                }
            }
            for _ in 0..<20 {
                #expect(try await bystander.healthStatus() == .serving)
                peak = max(peak, try batond.residentMemoryBytes())
            }
            #expect(stoppedReading, "batond read every call of a client that reads none of its answers")
            #expect(
                peak - baseline <= Self.boundForPipelinedCalls,
                "batond grew \(peak - baseline) bytes, more than \(Self.boundForPipelinedCalls)"
            )

            // Once the client reads, the calls that waited are answered.
            let first = try await flood.frames { $0.type == Wire.trailers && $0.stream == 1 }
            #expect(first.last?.status?.code == .ok)
        }
    }

    @Test("a server stream into a window of 4,294,967,295 messages that the client never reads stays bounded")
    func hugeWindowNeverRead() async throws {
        try await withBatond { batond, bystander in
            #expect(try await bystander.healthStatus() == .serving)
            let baseline = try batond.residentMemoryBytes()
            let flood = try RawConnection.connect(to: batond.socketPath)
            try flood.openHugeWindowStream()

            try await expectBystanderServed(by: batond, bystander, growingAtMost: Self.boundForOneStream, from: baseline)
        }
    }

    @Test("closing a connection while its stream produces cancels the handler at once; memory stays bounded")
    func closeWhileProducing() async throws {
        try await withBatond { batond, bystander in
            #expect(try await bystander.healthStatus() == .serving)
            let baseline = try batond.residentMemoryBytes()
            let flood = try RawConnection.connect(to: batond.socketPath)
            try flood.openHugeWindowStream()
            // A first answer proves the handler is producing.
            _ = try await flood.frames { $0.type == Wire.message }
            flood.close()

            // The bystander's own scrape is the only call left in flight once the stream is gone.
            var inFlight = try await bystander.callsInFlight()
            for _ in 0..<200 where inFlight != 1 {
                try await Task.sleep(for: .milliseconds(50))
                inFlight = try await bystander.callsInFlight()
            }
            #expect(inFlight == 1, "the closed connection's call is still in flight")
            try await expectBystanderServed(by: batond, bystander, growingAtMost: Self.boundForOneStream, from: baseline)
        }
    }

    @Test("100,000 connect / Health.Check / close cycles leave no memory behind per connection")
    func connectCallCloseCycles() async throws {
        // Two loops, the default on this machine's two cores, so the cycles take both.
        try await withBatond(threads: 2) { batond, bystander in
            let request = Wire.preface + Wire.healthCheck(stream: 1)
            let probe = try RawConnection.connect(to: batond.socketPath)
            probe.send(request)
            let frames = try await probe.frames { $0.type == Wire.trailers }
            probe.close()
            #expect(frames.last?.status?.code == .ok)
            let reply = Wire.preface + frames.flatMap { Wire.frame(stream: $0.stream, type: $0.type, flags: $0.flags, payload: $0.payload) }

            /// `total` cycles spread over the client threads; how many got another answer than `reply`.
            func cycles(_ total: Int) async throws -> Int {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<Self.clientThreadCount {
                        group.addTask {
                            try await Self.clientThreads.runIfActive {
                                try connectCallClose(
                                    batond.socketPath,
                                    request: request,
                                    reply: reply,
                                    times: total / Self.clientThreadCount
                                )
                            }
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }

            // The first 10,000 settle the allocator; the next 90,000 must not add up.
            #expect(try await cycles(10_000) == 0)
            #expect(try await bystander.healthStatus() == .serving)
            let baseline = try batond.residentMemoryBytes()
            var peak = baseline
            for _ in 0..<9 {
                #expect(try await cycles(10_000) == 0)
                #expect(try await bystander.healthStatus() == .serving)
                peak = max(peak, try batond.residentMemoryBytes())
            }
            #expect(
                peak - baseline <= Self.boundForClosedConnections,
                "90,000 closed connections left \(peak - baseline) bytes, more than \(Self.boundForClosedConnections)"
            )
        }
    }
}

extension RawConnection {
    /// Announces a window of 4,294,967,295 messages and opens a server stream of 4,000 answers of
    /// 64 KiB (250 MiB), of which the caller reads at most the first.
    fileprivate func openHugeWindowStream() throws {
        let request = try echo("stream") {
            $0.count = 4000
            $0.responsePayloadBytes = 65536
        }.serializedBytes()
        send(
            Wire.preface + Wire.settingsFrame(window: UInt32.max)
                + Wire.call(stream: 1, method: Paths.serverStream, request: request)
        )
    }
}

extension RPCClient {
    fileprivate func healthStatus() async throws -> Baton_Rpc_V1_ServingStatus {
        try await unary(Paths.healthCheck, Baton_Rpc_V1_HealthCheckRequest(), as: Baton_Rpc_V1_HealthCheckResponse.self)
            .status
    }

    /// `baton_rpc_calls_in_flight` from Metrics/Scrape, this scrape included.
    fileprivate func callsInFlight() async throws -> Double? {
        let scrape = try await unary(
            "/baton.rpc.v1.Metrics/Scrape",
            Baton_Rpc_V1_ScrapeRequest(),
            as: Baton_Rpc_V1_ScrapeResponse.self
        )
        let line = scrape.text.split(separator: "\n").first { $0.hasPrefix("baton_rpc_calls_in_flight ") }
        return line?.split(separator: " ").last.flatMap { Double($0) }
    }
}

/// Connects, sends `request`, reads as many bytes as `reply` has and closes, `times` times with
/// plain system calls (a client as lean as C's); returns how many answers differed from `reply`.
private func connectCallClose(_ socketPath: String, request: [UInt8], reply: [UInt8], times: Int) throws -> Int {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: socketPath.utf8.prefix($0.count - 1)) }
    var timeout = timeval(tv_sec: RawConnection.patienceSeconds, tv_usec: 0)
    var answer = [UInt8](repeating: 0, count: reply.count)
    var mismatches = 0
    for _ in 0..<times {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect: \(String(cString: strerror(errno)))") }
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { throw TestFailure("send: \(String(cString: strerror(errno)))") }
        var received = 0
        while received < answer.count {
            let count = answer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress! + received, $0.count - received, 0)
            }
            guard count > 0 else {
                if count < 0 && errno == EINTR { continue }
                throw TestFailure("recv after \(received) of \(answer.count) bytes: \(String(cString: strerror(errno)))")
            }
            received += count
        }
        if answer != reply { mismatches += 1 }
    }
    return mismatches
}
