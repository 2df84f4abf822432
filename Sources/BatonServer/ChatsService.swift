import Baton
import BatonProtos
import BatonRPC

/// `baton.v1.Chats`: chats, transcripts and transfers.
public struct ChatsService: RPCService {
    private let handoff: Handoff

    public init(handoff: Handoff) { self.handoff = handoff }

    public var methods: [RPCMethodHandler] {
        let handoff = self.handoff
        return [
            .unary("/baton.v1.Chats/StartChat") { (request: Baton_V1_StartChatRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.startChat(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Chats/PostMessage") { (request: Baton_V1_PostMessageRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.postMessage(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Chats/GetChat") { (request: Baton_V1_GetChatRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.getChat(request) }
            },
            .unary("/baton.v1.Chats/ListChats") { (request: Baton_V1_ListChatsRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.listChats(request) }
            },
            .unary("/baton.v1.Chats/EndChat") { (request: Baton_V1_EndChatRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.endChat(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Chats/ListTransferTargets") { (request: Baton_V1_ListTransferTargetsRequest, _) in
                try await mapped { () async throws(BatonError) in try await handoff.listTransferTargets(request) }
            },
            .unary("/baton.v1.Chats/TransferChat") { (request: Baton_V1_TransferRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.transferChat(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Chats/AcceptTransfer") { (request: Baton_V1_AcceptTransferRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.acceptTransfer(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Chats/DeclineTransfer") { (request: Baton_V1_DeclineTransferRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.declineTransfer(request, caller: Caller(context))
                }
            },
            .unary("/baton.v1.Chats/CancelTransfer") { (request: Baton_V1_CancelTransferRequest, context) in
                try await mapped { () async throws(BatonError) in
                    try await handoff.cancelTransfer(request, caller: Caller(context))
                }
            },
        ]
    }
}
