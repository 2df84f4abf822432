import BatonProtos
import BatonRPC
import BatonTestSupport
import Foundation
import Logging
import Testing

/// `rpc-cli call` finds its method through the server's reflection, so it calls what that
/// server serves, newer methods included, and falls back to its own schema without reflection.
@Suite struct ReflectionCallTests {
    /// A method of a service rpc-cli was not built with, as a newer batond could serve.
    static let futureEcho = ProtoMethodSchema(
        name: "Echo", service: "baton.v9.Future", inputType: Baton_Test_V1_EchoRequest.protoMessageName,
        outputType: Baton_Test_V1_EchoResponse.protoMessageName, kind: .unary
    )

    struct FutureService: RPCService {
        var methods: [RPCMethodHandler] {
            [
                .unary(ReflectionCallTests.futureEcho.path) { (request: Baton_Test_V1_EchoRequest, _) -> Baton_Test_V1_EchoResponse in
                    var response = Baton_Test_V1_EchoResponse()
                    response.text = "future: " + request.text
                    return response
                },
            ]
        }
    }

    /// Runs `body` with an in-process server of `services` on a socket of its own.
    private func withServer(_ services: [any RPCService], _ body: (String) async throws -> Void) async throws {
        let folder = String(cString: mkdtemp(strdup("/tmp/baton-cli-test-XXXXXX"))!)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = RPCServerConfiguration(socketPath: folder + "/rpc.sock")
        configuration.shutdownGracePeriod = .seconds(1)
        let server = RPCServer(
            configuration: configuration, services: services,
            logger: Logger(label: "baton-cli-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await server.start()
        do {
            try await body(configuration.socketPath)
            await server.shutdown()
        } catch {
            await server.shutdown()
            throw error
        }
    }

    @Test("a method rpc-cli was not built with is called when the server's reflection describes it")
    func newerServersMethod() async throws {
        let reflection = try #require(BatonSchema.services.first { $0.name == "baton.rpc.v1.Reflection" })
        let future = ProtoServiceSchema(name: Self.futureEcho.service, methods: [Self.futureEcho])
        try await withServer([FutureService(), ReflectionService(services: [future, reflection])]) { socket in
            let result = try RPCCLI.run(["call", "baton.v9.Future.Echo", "-d", #"{"text":"hi"}"#], socket: socket)
            #expect(result.exited(with: 0), "\(result.terminationStatus) \(result.standardError)")
            #expect(result.standardText.contains(#""text":"future: hi""#), "\(result.standardText)")
        }
    }

    @Test("a newer server's method whose request type rpc-cli does not know exits 64 naming the type")
    func newerServersUnknownMessage() async throws {
        let reflection = try #require(BatonSchema.services.first { $0.name == "baton.rpc.v1.Reflection" })
        var method = Self.futureEcho
        method.inputType = "baton.v9.FutureRequest"
        let future = ProtoServiceSchema(name: method.service, methods: [method])
        try await withServer([FutureService(), ReflectionService(services: [future, reflection])]) { socket in
            let result = try RPCCLI.run(["call", "baton.v9.Future/Echo", "-d", "{}"], socket: socket)
            #expect(result.exited(with: 64), "\(result.terminationStatus) \(result.standardError)")
            #expect(result.standardError.contains("baton.v9.FutureRequest"), "\(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
    }

    @Test("without reflection on the server, call uses the built-in schema")
    func fallsBackWithoutReflection() async throws {
        try await withServer([HealthService()]) { socket in
            let result = try RPCCLI.run(["call", "baton.rpc.v1.Health.Check", "-d", "{}"], socket: socket)
            #expect(result.exited(with: 0), "\(result.terminationStatus) \(result.standardError)")
            #expect(result.standardText.contains("SERVING_STATUS_SERVING"), "\(result.standardText)")
        }
    }

    @Test("a method batond does not serve is an unknown method (64), known to rpc-cli or not")
    func methodTheServerDoesNotServe() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            // Without --enable-test-service batond does not serve it, though rpc-cli knows it.
            let result = try RPCCLI.run(["call", "baton.test.v1.TestService/Unary", "-d", "{}"], socket: batond.socketPath)
            #expect(result.exited(with: 64), "\(result.terminationStatus) \(result.standardError)")
            #expect(result.standardError.contains("unknown method baton.test.v1.TestService/Unary"), "\(result.standardError)")
        }
    }
}
