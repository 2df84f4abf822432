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
// same 64-byte payload, in two placements measured the same way for both: client and server
// threads on one CPU, and on two CPUs (a cross-CPU wake-up per message, ~20 us on these VMs).
// Then Baton's throughput with many callers over a few connections. One process, one run.
// Run: swift run -c release baton-rpc-benchmark [--iterations N] [--calls N]

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
let unaryPath = "/baton.test.v1.TestService/Unary"

struct Placement {
    var name: String
    var clientCPU: Int32
    var serverCPU: Int32
}
let placements = [
    Placement(name: "same CPU", clientCPU: 0, serverCPU: 0),
    Placement(name: "two CPUs", clientCPU: 0, serverCPU: 1),
]

func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
}

func format(_ value: Double) -> String { String((value * 10).rounded() / 10) }

/// Times `iterations` unary calls one after another. Runs (see below) as a task on the client
/// connection's event loop, as the C client runs on its own thread: no thread hop per call.
func sequentialLatencies(client: RPCClient, request: Baton_Test_V1_EchoRequest) async throws -> [UInt64] {
    let clock = ContinuousClock()
    var latencies: [UInt64] = []
    latencies.reserveCapacity(iterations)
    for _ in 0..<iterations {
        let start = clock.now
        _ = try await client.unary(unaryPath, request, as: Baton_Test_V1_EchoResponse.self)
        let elapsed = clock.now - start
        latencies.append(
            UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        )
    }
    return latencies.sorted()
}

/// Pins the (only) thread of `group` to `cpu`.
func pin(_ group: MultiThreadedEventLoopGroup, to cpu: Int32) async throws {
    try await group.next().submit { _ = cbaton_pin_to_cpu(cpu) }.get()
}

let folder = String(cString: mkdtemp(strdup("/tmp/baton-bench-XXXXXX"))!)
defer { rmdir(folder) }

let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
var configuration = RPCServerConfiguration(socketPath: "\(folder)/baton.sock")
configuration.eventLoopGroup = serverGroup
configuration.maxConcurrentCallsPerConnection = max(100, callersPerConnection * 2)
let server = RPCServer(configuration: configuration, services: [TestService()], logger: Logger(label: "bench"))
try await server.start()
let client = try await RPCClient.connect(socketPath: configuration.socketPath, group: clientGroup)

var request = Baton_Test_V1_EchoRequest()
request.payload = [UInt8](repeating: 0x42, count: payloadSize)
for _ in 0..<2_000 {
    _ = try await client.unary(unaryPath, request, as: Baton_Test_V1_EchoResponse.self)
}

print("rpc benchmark: \(payloadSize)-byte payload, \(iterations) sequential calls; p50 and p99 round trip")
for placement in placements {
    var raw = [UInt64](repeating: 0, count: iterations)
    guard
        cbaton_pingpong("\(folder)/raw.sock", payloadSize, Int32(iterations), &raw, placement.clientCPU, placement.serverCPU)
            == 0
    else {
        fatalError("the raw ping-pong failed: errno \(errno)")
    }
    raw.sort()
    try await pin(serverGroup, to: placement.serverCPU)
    try await pin(clientGroup, to: placement.clientCPU)
    let baton = try await Task(executorPreference: client.taskExecutor) {
        try await sequentialLatencies(client: client, request: request)
    }.value
    let (rawP50, rawP99) = (percentile(raw, 0.5), percentile(raw, 0.99))
    let (batonP50, batonP99) = (percentile(baton, 0.5), percentile(baton, 0.99))
    print(
        "\(placement.name): raw C p50 \(format(rawP50)) us p99 \(format(rawP99)) us | "
            + "Baton p50 \(format(batonP50)) us p99 \(format(batonP99)) us | "
            + "ratio p50 \(format(batonP50 / rawP50))x p99 \(format(batonP99 / rawP99))x"
    )
}

// Throughput: callers in flight on each of a few connections, threads free to move.
try await pin(serverGroup, to: -1)
try await pin(clientGroup, to: -1)
var clients = [client]
for _ in 1..<connections {
    clients.append(try await RPCClient.connect(socketPath: configuration.socketPath, group: clientGroup))
}
let callsPerCaller = max(1, throughputCalls / (connections * callersPerConnection))
let clock = ContinuousClock()
let throughputStart = clock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for connection in clients {
        for _ in 0..<callersPerConnection {
            group.addTask {
                for _ in 0..<callsPerCaller {
                    _ = try await connection.unary(unaryPath, request, as: Baton_Test_V1_EchoResponse.self)
                }
            }
        }
    }
    try await group.waitForAll()
}
let elapsed = clock.now - throughputStart
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let callsPerSecond = Int(Double(callsPerCaller * connections * callersPerConnection) / seconds)
print("throughput: \(callsPerSecond) calls/s (\(callersPerConnection) in flight on each of \(connections) connections)")

for connection in clients { await connection.close() }
await server.shutdown()
try await clientGroup.shutdownGracefully()
try await serverGroup.shutdownGracefully()
