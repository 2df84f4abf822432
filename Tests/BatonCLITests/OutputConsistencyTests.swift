import BatonProtos
import BatonTestSupport
import Foundation
import Testing

@testable import rpc_cli

/// On a terminal (`--format text`) every response that returns reps, chats, meetings or slots
/// is a table, every other one JSON; `--format json` is JSON for all of them.
@Suite struct OutputConsistencyTests {
    static let tableTypes: Set<String> = ["baton.v1.Rep", "baton.v1.Chat", "baton.v1.Meeting", "baton.v1.Slot"]

    /// True when `message` has a field of a table type, or of a message that has one.
    static func holdsTableType(_ message: SchemaMessage, in schema: DescriptorSet, depth: Int = 1) -> Bool {
        message.fields.contains { field in
            guard field.type == .message else { return false }
            if tableTypes.contains(field.typeName) { return true }
            guard depth > 0, let inner = schema.messages[field.typeName] else { return false }
            return holdsTableType(inner, in: schema, depth: depth - 1)
        }
    }

    @Test("every method's response has a table exactly when it returns reps, chats, meetings or slots")
    func tableExactlyForDomainResponses() throws {
        let schema = try SchemaSource.builtIn()
        let outputs = Set(BatonSchema.services.flatMap(\.methods).map(\.outputType))
            .subtracting([Baton_V1_Event.protoMessageName])  // a watch prints one line per event
        var tables = 0
        for name in outputs.sorted() {
            let message = try #require(schema.messages[name], "\(name)")
            let expectsTable = Self.holdsTableType(message, in: schema)
            let rendered = try HumanTables.render([], messageName: name)
            #expect((rendered != nil) == expectsTable, "\(name): table \(rendered != nil), expected \(expectsTable)")
            if expectsTable { tables += 1 }
        }
        #expect(tables >= 15, "the rule found \(tables) responses with a table")
    }

    struct Call: CustomTestStringConvertible, Sendable {
        let method: String
        let request: String
        /// The text output's first line starts with this: a table's header or a chat's id.
        let textPrefix: String
        var testDescription: String { method }
    }

    static let calls: [Call] = [
        Call(method: "baton.v1.Reps/GetRep", request: #"{"repId":"ben"}"#, textPrefix: "ID "),
        Call(
            method: "baton.v1.Reps/SetPresence",
            request: #"{"repId":"ben","actingRepId":"ben","presence":"PRESENCE_LOGGED_IN","status":"REP_STATUS_AVAILABLE"}"#,
            textPrefix: "ID "
        ),
        Call(method: "baton.v1.Chats/ListChats", request: "{}", textPrefix: "CHAT "),
        Call(method: "baton.v1.Chats/GetChat", request: #"{"chatId":"chat-1"}"#, textPrefix: "chat-1  active"),
        Call(method: "baton.v1.Chats/EndChat", request: #"{"chatId":"chat-1"}"#, textPrefix: "chat-1  ended"),
        Call(method: "baton.v1.Calendars/ListMeetings", request: #"{"repId":"cara"}"#, textPrefix: "MEETING "),
        Call(method: "baton.v1.Calendars/QueryAvailability", request: #"{"repIds":["cara"],"maxSlots":1}"#, textPrefix: "REP "),
    ]

    @Test("--format text prints a table, --format json one JSON object", arguments: calls)
    func textIsATableAndJSONIsJSON(_ call: Call) async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let text = try RPCCLI.run(["call", call.method, "-d", call.request, "--format", "text"], socket: batond.socketPath)
            #expect(text.exited(with: 0), "\(text.standardError)")
            #expect(text.standardText.hasPrefix(call.textPrefix), "\(text.standardText)")
            #expect(!text.standardText.contains("{"), "\(text.standardText)")
        }
        try await BatondProcess.with(["--demo"]) { batond in
            let json = try RPCCLI.run(["call", call.method, "-d", call.request, "--format", "json"], socket: batond.socketPath)
            #expect(json.exited(with: 0), "\(json.standardError)")
            #expect(json.standardText.split(separator: "\n").count == 1)
            #expect(try JSONSerialization.jsonObject(with: Data(json.standardOutput)) is [String: Any])
        }
    }

    @Test("a response without reps, chats, meetings or slots is indented JSON even on a terminal")
    func otherResponsesAreJSON() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            let result = try RPCCLI.run(["call", "baton.v1.Reps/ListTeams", "-d", "{}", "--format", "text"], socket: batond.socketPath)
            #expect(result.exited(with: 0), "\(result.standardError)")
            #expect(result.standardText.hasPrefix("{\n"))
            #expect(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) is [String: Any])
        }
    }
}
