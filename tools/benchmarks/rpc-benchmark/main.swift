import BatonProtos
import BatonRPC
import BatonServer
import CBatonRPCBaseline
import Logging
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

// RPC benchmark: the raw C ping-pong floor against Baton's unary round trip (p50, p99) with the
// same 64-byte payload, then Baton's throughput with many callers over a few connections. All in
// one process and one run, so machine noise hits both alike. Prints ratios against the floor.
// Run: tools/benchmarks/run-rpc-benchmark.sh (unpinned and pinned to one CPU).

let arguments = CommandLine.arguments
func argument(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return Int(arguments[index + 1]) ?? fallback
}
let iterations = argument("--iterations", 20_000)
let connections = argument("--connections", 4)
let callersPerConnection = argument("--callers", 32)
let throughputCalls = argument("--calls", 200_000)
let payloadSize = 64

/// Times `iterations` unary calls one after another. Nonisolated (not main-actor code like the
/// rest of this file), so under `withTaskExecutorPreference` it runs on the client connection's
/// event loop, as the C client runs on its own thread: no hop to another thread per call.
func sequentialLatencies(client: RPCClient, request: Baton_Test_V1_EchoRequest) async throws -> [UInt64] {
    let clock = ContinuousClock()
    var latencies: [UInt64] = []
    latencies.reserveCapacity(iterations)
    for _ in 0..<iterations {
        let start = clock.now
        _ = try await client.unary("/baton.test.v1.TestService/Unary", request, as: Baton_Test_V1_EchoResponse.self)
        let elapsed = clock.now - start
        latencies.append(
            UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        )
    }
    return latencies
}

func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
}

func format(_ value: Double) -> String { String((value * 10).rounded() / 10) }

let folder = String(cString: mkdtemp(strdup("/tmp/baton-bench-XXXXXX"))!)
defer { rmdir(folder) }

// 1. The floor: raw C, write() and read() of 64 bytes each way.
var rawLatencies = [UInt64](repeating: 0, count: iterations)
guard cbaton_pingpong("\(folder)/raw.sock", payloadSize, Int32(iterations), &rawLatencies) == 0 else {
    fatalError("the raw ping-pong failed: errno \(errno)")
}
rawLatencies.sort()
let rawP50 = percentile(rawLatencies, 0.5)
let rawP99 = percentile(rawLatencies, 0.99)

// 2. Baton: a server with one event loop thread, a client with another, like the two C threads.
var configuration = RPCServerConfiguration(socketPath: "\(folder)/baton.sock")
configuration.eventLoopThreads = 1
configuration.maxConcurrentCallsPerConnection = max(100, callersPerConnection * 2)
let server = RPCServer(configuration: configuration, services: [TestService()], logger: Logger(label: "bench"))
try await server.start()
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let client = try await RPCClient.connect(socketPath: configuration.socketPath, group: clientGroup)

var request = Baton_Test_V1_EchoRequest()
request.payload = [UInt8](repeating: 0x42, count: payloadSize)
let path = "/baton.test.v1.TestService/Unary"
for _ in 0..<2_000 {
    _ = try await client.unary(path, request, as: Baton_Test_V1_EchoResponse.self)
}
let clock = ContinuousClock()
var latencies = try await withTaskExecutorPreference(client.taskExecutor) {
    try await sequentialLatencies(client: client, request: request)
}
latencies.sort()
let batonP50 = percentile(latencies, 0.5)
let batonP99 = percentile(latencies, 0.99)

// 3. Throughput: callers in flight on each of a few connections.
var clients = [client]
for _ in 1..<connections {
    clients.append(try await RPCClient.connect(socketPath: configuration.socketPath, group: clientGroup))
}
let callsPerCaller = max(1, throughputCalls / (connections * callersPerConnection))
let throughputStart = clock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for connection in clients {
        for _ in 0..<callersPerConnection {
            group.addTask {
                for _ in 0..<callsPerCaller {
                    _ = try await connection.unary(path, request, as: Baton_Test_V1_EchoResponse.self)
                }
            }
        }
    }
    try await group.waitForAll()
}
let throughputElapsed = clock.now - throughputStart
let seconds = Double(throughputElapsed.components.seconds) + Double(throughputElapsed.components.attoseconds) / 1e18
let callsPerSecond = Double(callsPerCaller * connections * callersPerConnection) / seconds

for connection in clients { await connection.close() }
await server.shutdown()
try await clientGroup.shutdownGracefully()

print("rpc benchmark: \(payloadSize)-byte payload, \(iterations) sequential calls, median and 99th percentile")
print("raw C ping-pong     p50 \(format(rawP50)) us   p99 \(format(rawP99)) us")
print("Baton unary         p50 \(format(batonP50)) us   p99 \(format(batonP99)) us   p50 ratio \(format(batonP50 / rawP50))x   p99 ratio \(format(batonP99 / rawP99))x")
print("Baton throughput    \(Int(callsPerSecond)) calls/s (\(callersPerConnection) in flight on each of \(connections) connections)")
