import BatonProtos
import BatonTestSupport
import Foundation
import Testing

/// `rpc-cli list SERVICE` and the output options `list` and `describe` share with `call`.
@Suite struct ListAndDescribeFormatTests {
    @Test("list SERVICE lists that service's methods only, however it is spelled", arguments: ["baton.v1.Chats", ".baton.v1.Chats"])
    func listOneService(_ spelling: String) async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["list", spelling], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            let lines = result.standardText.split(separator: "\n")
            #expect(lines.first == "baton.v1.Chats")
            let chats = try #require(BatonSchema.services.first { $0.name == "baton.v1.Chats" })
            #expect(lines.count == 1 + chats.methods.count, "\(lines)")
            #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("  ") })
            #expect(lines.contains("  TransferChat (unary): baton.v1.TransferRequest -> baton.v1.TransferChatResponse"))

            let json = try RPCCLI.run(["list", spelling, "--format", "json"], socket: batond.socketPath)
            #expect(json.exited(with: 0), "\(json.standardError)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput)) as? [String: Any])
            let services = try #require(object["services"] as? [[String: Any]])
            #expect(services.compactMap { $0["fullName"] as? String } == ["baton.v1.Chats"])
        }
    }

    @Test("list of an unknown service exits 64 naming it, in text or JSON")
    func listUnknownService() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let text = try RPCCLI.run(["list", "baton.v1.Nope"], socket: batond.socketPath)
            #expect(text.exited(with: 64), "\(text.terminationStatus) \(text.standardError)")
            #expect(text.standardError.hasPrefix("rpc-cli: error: unknown service baton.v1.Nope"), "\(text.standardError)")
            #expect(text.standardOutput.isEmpty)

            let json = try RPCCLI.run(["list", "baton.v1.Nope", "--format", "json"], socket: batond.socketPath)
            #expect(json.exited(with: 64))
            let error = try JSONSerialization.jsonObject(with: Data(json.standardError.utf8)) as? [String: Any]
            #expect(error?["code"] as? String == "USAGE", "\(json.standardError)")
        }
    }

    @Test("describe --format json gives a method's types and streaming kinds")
    func describeMethodAsJSON() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["describe", "baton.v1.Events.Watch", "--format", "json"], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            #expect(result.standardText.split(separator: "\n").count == 1, "compact unless --pretty")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
            #expect(object["kind"] as? String == "method")
            #expect(object["fullName"] as? String == "baton.v1.Events.Watch")
            #expect(object["inputType"] as? String == "baton.v1.WatchRequest")
            #expect(object["outputType"] as? String == "baton.v1.Event")
            #expect(object["clientStreaming"] as? Bool == false)
            #expect(object["serverStreaming"] as? Bool == true)
            #expect((object["comment"] as? String)?.isEmpty == false)
        }
    }

    @Test("describe --format json gives a message's fields with labels, types and oneofs")
    func describeMessageAsJSON() throws {
        // The built-in schema: describe works without batond, in JSON too.
        let result = try RPCCLI.run(["describe", "baton.v1.TransferRequest", "--format", "json", "--pretty"], socket: "/tmp/baton-no-such-folder/batond.sock")
        #expect(result.exited(with: 0), "\(result.standardError)")
        #expect(result.standardText.split(separator: "\n").count > 1, "--pretty indents")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
        #expect(object["kind"] as? String == "message")
        let fields = try #require(object["fields"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: fields.compactMap { field in (field["name"] as? String).map { ($0, field) } })
        #expect(byName["chat_id"]?["jsonName"] as? String == "chatId")
        #expect(byName["chat_id"]?["type"] as? String == "string")
        #expect(byName["mode"]?["type"] as? String == "baton.v1.TransferMode")
        #expect(byName["expected_version"]?["type"] as? String == "baton.v1.ExpectedVersion")
        let numbers = fields.compactMap { $0["number"] as? Int }
        #expect(numbers.count == fields.count && Set(numbers).count == fields.count)
    }

    @Test("describe --format json of an enum lists its values; without a symbol, every service")
    func describeEnumAndEverythingAsJSON() throws {
        let socket = "/tmp/baton-no-such-folder/batond.sock"
        let enumeration = try RPCCLI.run(["describe", "baton.v1.TransferMode", "--format", "json"], socket: socket)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(enumeration.standardOutput)) as? [String: Any])
        #expect(object["kind"] as? String == "enum")
        let values = try #require(object["values"] as? [[String: Any]])
        #expect(values.first?["name"] as? String == "TRANSFER_MODE_UNSPECIFIED")
        #expect(values.first?["number"] as? Int == 0)

        let all = try RPCCLI.run(["describe", "--format", "json"], socket: socket)
        let services = try #require((try JSONSerialization.jsonObject(with: Data(all.standardOutput)) as? [String: Any])?["services"] as? [[String: Any]])
        #expect(Set(services.compactMap { $0["fullName"] as? String }) == Set(BatonSchema.services.map(\.name)))
    }

    @Test("list and describe print text in a pipe unless --format json is given")
    func listingsStayTextInAPipe() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let list = try RPCCLI.run(["list"], socket: batond.socketPath)
            #expect(list.standardText.hasPrefix("baton."), "\(list.standardText.prefix(80))")
            let describe = try RPCCLI.run(["describe", "baton.v1.Chats"], socket: batond.socketPath)
            #expect(describe.standardText.hasPrefix("baton.v1.Chats is a service:"))
        }
    }
}
