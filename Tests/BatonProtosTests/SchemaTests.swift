import BatonProtos
import Testing

/// What reflection and rpc-cli will rely on: the services the issues name, with the streaming
/// kinds protoc-c drops, and the comments of Protos/ for every element.
@Suite struct SchemaTests {
    @Test(arguments: [
        ("baton.v1.Reps", ["UpsertRep", "GetRep", "ListReps", "SetPresence", "UpsertTeam", "ListTeams"]),
        (
            "baton.v1.Chats",
            [
                "StartChat", "PostMessage", "GetChat", "ListChats", "EndChat", "ListTransferTargets", "TransferChat",
                "AcceptTransfer", "DeclineTransfer", "CancelTransfer",
            ]
        ),
        (
            "baton.v1.Calendars",
            [
                "SetSchedule", "GetSchedule", "QueryAvailability", "BookMeeting", "CancelMeeting", "ListMeetings",
                "ShowMeetingBooker",
            ]
        ),
        ("baton.v1.Events", ["Watch"]),
        ("baton.rpc.v1.Health", ["Check", "Watch"]),
    ])
    func serviceHasItsMethods(service: String, methods: [String]) throws {
        let schema = try #require(BatonSchema.services.first { $0.name == service })
        #expect(schema.methods.map(\.name) == methods)
        #expect(!schema.comment.isEmpty)
        for method in schema.methods {
            #expect(!method.comment.isEmpty, "\(method.path) has no comment")
            #expect(BatonSchema.messageType(named: method.inputType) != nil)
            #expect(BatonSchema.messageType(named: method.outputType) != nil)
        }
    }

    @Test func streamingKindsSurviveProtocC() throws {
        #expect(BatonSchema.method("/baton.v1.Events/Watch")?.kind == .serverStreaming)
        #expect(BatonSchema.method("baton.rpc.v1.Health/Watch")?.kind == .serverStreaming)
        #expect(BatonSchema.method("/baton.rpc.v1.Health/Check")?.kind == .unary)
        #expect(BatonSchema.method("/baton.v1.Chats/TransferChat")?.inputType == "baton.v1.TransferRequest")
        #expect(BatonSchema.method("/baton.test.v1.TestService/ClientStream")?.kind == .clientStreaming)
        #expect(BatonSchema.method("/baton.test.v1.TestService/Bidi")?.kind == .bidirectionalStreaming)
        #expect(BatonSchema.method("/baton.v1.Chats/NoSuchMethod") == nil)
    }

    @Test func everyBatonMessageAndFieldIsDocumented() {
        for type in BatonSchema.messageTypes where type.protoMessageName.hasPrefix("baton.") {
            let name = type.protoMessageName
            #expect(BatonSchema.comments[name] != nil, "\(name) has no comment")
            let descriptor = ProtoMessageDescriptor(named: name)
            for field in descriptor.fields {
                #expect(BatonSchema.comments["\(name).\(field.name)"] != nil, "\(name).\(field.name) has no comment")
            }
        }
    }

    @Test func domainMessagesExistByTheirNames() {
        for name in ["baton.v1.Chat", "baton.v1.Rep", "baton.v1.TransferRequest", "baton.v1.Team", "baton.v1.Event"] {
            #expect(BatonSchema.messageType(named: name) != nil, "\(name) missing")
        }
    }

    @Test func descriptorSetIsEmbeddedForReflection() {
        // A FileDescriptorSet starts with field 1 (file), length-delimited: tag 0x0a.
        let set = BatonSchema.fileDescriptorSet
        #expect(set.count > 10_000)
        #expect(set.first == 0x0a)
    }
}
