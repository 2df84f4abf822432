import BatonTestSupport
import Foundation
import Testing

/// `--template` prints only what a caller sets, so filling in its obvious fields and sending it
/// succeeds: no output-only fields, no `"expectedVersion": {"value": "0"}` guard.
@Suite struct TemplateTests {
    static let unreachableSocket = "/tmp/baton-no-such-folder/batond.sock"

    private func template(_ method: String) throws -> [String: Any] {
        let result = try RPCCLI.run(["call", method, "--template"], socket: Self.unreachableSocket)
        #expect(result.exited(with: 0), "\(result.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
    }

    private func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test("the UpsertRep template has no output-only rep fields and no expectedVersion")
    func upsertRepTemplateLeavesOutServerFields() throws {
        let request = try template("baton.v1.Reps/UpsertRep")
        #expect(request["expectedVersion"] == nil)
        let rep = try #require(request["rep"] as? [String: Any])
        // Reps.proto marks these `Output only:`.
        for field in ["presence", "status", "leaseExpiresAt", "activeChatCount", "version", "createdAt", "updatedAt", "canTakeTransfer"] {
            #expect(rep[field] == nil, "\(field)")
        }
        for field in ["id", "displayName", "teamIds", "timeZone", "role", "maxActiveChats"] {
            #expect(rep[field] != nil, "\(field)")
        }
    }

    @Test("describe --template of a message leaves out its output-only fields too")
    func messageTemplateLeavesOutOutputOnlyFields() throws {
        let result = try RPCCLI.run(["describe", "--template", "baton.v1.Team"], socket: Self.unreachableSocket)
        let team = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
        #expect(team["id"] != nil)
        for field in ["repIds", "version", "createdAt", "updatedAt"] { #expect(team[field] == nil, "\(field)") }
    }

    @Test("an UpsertRep template with its obvious fields filled in creates a rep, and updates one")
    func filledUpsertRepTemplateSucceeds() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            for id in ["zoe", "ben"] {
                var request = try template("baton.v1.Reps/UpsertRep")
                var rep = try #require(request["rep"] as? [String: Any])
                rep["id"] = id
                rep["displayName"] = "Rep \(id)"
                rep["email"] = "\(id)@example.org"
                rep["teamIds"] = ["sales"]
                rep["timeZone"] = "Europe/Lisbon"
                request["rep"] = rep
                request["actingRepId"] = "maya"
                let result = try RPCCLI.run(["call", "baton.v1.Reps/UpsertRep", "-d", try json(request)], socket: batond.socketPath)
                #expect(result.exited(with: 0), "\(id): \(result.standardError)")
                #expect(result.standardText.contains("Rep \(id)"), "\(result.standardText)")
            }
        }
    }

    @Test("a TransferChat template with chat, acting rep and target filled in transfers the chat")
    func filledTransferChatTemplateSucceeds() async throws {
        try await BatondProcess.with(["--demo"]) { batond in
            var request = try template("baton.v1.Chats.TransferChat")
            #expect(request["expectedVersion"] == nil)
            request["chatId"] = "chat-1"
            request["actingRepId"] = "ana"
            request["targetRepId"] = "ben"
            let result = try RPCCLI.run(
                ["call", "baton.v1.Chats/TransferChat", "-d", try json(request), "--format", "json"], socket: batond.socketPath
            )
            #expect(result.exited(with: 0), "\(result.standardError)")
            let response = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
            #expect((response["chat"] as? [String: Any])?["ownerRepId"] as? String == "ben", "\(result.standardText)")
        }
    }
}
