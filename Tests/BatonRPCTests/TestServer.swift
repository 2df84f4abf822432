import BatonProtos
import BatonRPC
import BatonServer
import Logging
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

typealias EchoRequest = Baton_Test_V1_EchoRequest
typealias EchoResponse = Baton_Test_V1_EchoResponse

/// Method paths the tests call.
enum Paths {
    static let unary = "/baton.test.v1.TestService/Unary"
    static let serverStream = "/baton.test.v1.TestService/ServerStream"
    static let clientStream = "/baton.test.v1.TestService/ClientStream"
    static let bidi = "/baton.test.v1.TestService/Bidi"
    static let healthCheck = "/baton.rpc.v1.Health/Check"
    static let healthWatch = "/baton.rpc.v1.Health/Watch"
    static let listServices = "/baton.rpc.v1.Reflection/ListServices"
    static let getSchema = "/baton.rpc.v1.Reflection/GetSchema"
}

/// An echo request with `text`, adjusted by `configure`.
func echo(_ text: String, _ configure: (inout EchoRequest) -> Void = { _ in }) -> EchoRequest {
    var request = EchoRequest()
    request.text = text
    configure(&request)
    return request
}

/// A logger that drops everything, so test output shows only the tests' own findings.
let silentLogger = Logger(label: "baton-rpc-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The services every test server offers, wired the way batond wires them: the test service,
/// health, `extra`, and reflection over the schemas of what is served plus reflection itself.
func testServices(health: HealthService, extra: [any RPCService]) -> [any RPCService] {
    var services: [any RPCService] = [TestService(), health] + extra
    let served = Set(services.flatMap(\.methods).map(\.path))
    let schemas = BatonSchema.services.filter { service in service.methods.contains { served.contains($0.path) } }
    let reflection = BatonSchema.services.first { $0.name == "baton.rpc.v1.Reflection" }!
    services.append(ReflectionService(services: schemas + [reflection]))
    return services
}

/// A test configuration: one event loop thread (so a connection's close and the next accept are
/// ordered) and a short grace period, then whatever `configure` changes.
func testConfiguration(
    socketPath: String,
    _ configure: (inout RPCServerConfiguration) -> Void = { _ in }
) -> RPCServerConfiguration {
    var configuration = RPCServerConfiguration(socketPath: socketPath)
    configuration.eventLoopThreads = 1
    configuration.shutdownGracePeriod = .seconds(2)
    configure(&configuration)
    return configuration
}

/// Runs `body` with a server listening on a socket in a fresh temporary folder, then shuts the
/// server down and removes the folder, whatever `body` did.
func withServer<Result>(
    configuration configure: (inout RPCServerConfiguration) -> Void = { _ in },
    health: HealthService = HealthService(),
    services extra: [any RPCService] = [],
    _ body: (_ server: RPCServer, _ socketPath: String) async throws -> Result
) async throws -> Result {
    try await withTemporaryDirectory { directory in
        let configuration = testConfiguration(socketPath: "\(directory)/rpc.sock", configure)
        let server = RPCServer(
            configuration: configuration,
            services: testServices(health: health, extra: extra),
            logger: silentLogger
        )
        try await start(server)
        do {
            let result = try await body(server, configuration.socketPath)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }
}

/// Starts `server`, one start at a time in this process.
///
/// `RPCServer.start()` narrows the process-wide umask around `bind`; two starts overlapping on
/// different threads can restore each other's umask and leave a socket with a wider mode. The
/// tests start servers in parallel, so they take turns here to keep the permission tests honest.
func start(_ server: RPCServer) async throws {
    try await ServerStartTurns.shared.run { try await server.start() }
}

private actor ServerStartTurns {
    static let shared = ServerStartTurns()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run(_ body: @Sendable () async throws -> Void) async throws {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        try await body()
    }
}

/// Runs `body` with a new folder `/tmp/baton-test-XXXXXX`, removed afterwards with its contents.
func withTemporaryDirectory<Result>(_ body: (String) async throws -> Result) async throws -> Result {
    var template = Array("/tmp/baton-test-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else {
        throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    let directory = String(cString: created)
    do {
        let result = try await body(directory)
        removeTree(directory)
        return result
    } catch {
        removeTree(directory)
        throw error
    }
}

/// Removes `path` and, for a folder, everything in it.
func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        if let folder = opendir(path) {
            while let entry = readdir(folder) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { removeTree("\(path)/\(name)") }
            }
            closedir(folder)
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// A failure of the tests' own machinery, not of the code under test.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, expecting it to fail with an `RPCError` of `code`; returns that error.
@discardableResult
func expectRPCError<T>(
    _ code: RPCError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> RPCError? {
    do {
        let value = try await body()
        Issue.record("expected \(code.name), but the call succeeded with \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        #expect(error.code == code, "expected \(code.name), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected RPCError \(code.name), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The Health/Check status of the whole server, over a new connection.
func checkHealth(_ socketPath: String) async throws -> Baton_Rpc_V1_ServingStatus {
    let client = try await RPCClient.connect(socketPath: socketPath)
    let response: Result<Baton_Rpc_V1_HealthCheckResponse, any Error>
    do {
        response = .success(
            try await client.unary(
                Paths.healthCheck,
                Baton_Rpc_V1_HealthCheckRequest(),
                as: Baton_Rpc_V1_HealthCheckResponse.self
            )
        )
    } catch {
        response = .failure(error)
    }
    await client.close()
    return try response.get().status
}

/// Decodes a message from a response buffer the way a client would.
func decode<Message: ProtoMessage>(_ type: Message.Type, _ buffer: ByteBuffer) throws -> Message {
    try Message(serializedBytes: Array(buffer.readableBytesView))
}

/// A buffer holding `message`'s wire form.
func encoded(_ message: some ProtoMessage) throws -> ByteBuffer {
    ByteBuffer(bytes: try message.serializedBytes())
}

extension RPCClient {
    /// Echoes `text` with a unary call and returns the echoed text.
    func echoText(_ text: String) async throws -> String {
        try await unary(Paths.unary, echo(text), as: EchoResponse.self).text
    }
}
