import BatonTestSupport
import Foundation
import Testing

/// The exit codes `rpc-cli --help` and the README document, one per kind of failure.
@Suite struct ExitCodeTests {
    @Test("a socket nobody serves exits 69 and says where it looked")
    func unreachableServerExits69() throws {
        let result = try RPCCLI.run(["health"], socket: "/tmp/baton-no-such-folder/batond.sock")
        #expect(result.exited(with: 69), "\(result.terminationStatus) \(result.standardError)")
        #expect(result.standardError.contains("/tmp/baton-no-such-folder/batond.sock"))
        #expect(result.standardOutput.isEmpty)
    }
}
