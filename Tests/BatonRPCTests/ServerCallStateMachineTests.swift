import BatonProtos
import NIOCore
import Testing

@testable import BatonRPC

@Suite("Server call state machine")
struct ServerCallStateMachineTests {
    private typealias Machine = ServerCall.StateMachine

    private func machine(
        _ kind: ProtoMethodKind = .bidirectionalStreaming,
        receiveWindow: Int = 64,
        sendWindow: Int = 64,
        clientMaxMessageBytes: Int = 1024
    ) -> Machine {
        Machine(
            path: "/test.Service/Method",
            kind: kind,
            flowControl: RPCFlowControl(receiveWindow: receiveWindow, sendWindow: sendWindow),
            clientMaxMessageBytes: clientMaxMessageBytes
        )
    }

    private let message = ByteBuffer(string: "m")

    private func failureCode(_ action: Machine.ReceiveMessageAction) -> RPCError.Code? {
        if case .fail(let error) = action { return error.code }
        return nil
    }

    // MARK: Requests

    @Test("a message that arrives before the handler asks is buffered and handed over when it does")
    func bufferedRequest() {
        var call = machine()
        let received = call.receivedMessage(message)
        #expect(received == .none)
        let next = call.nextRequest(taskIsCancelled: false)
        #expect(next == .message(message, grant: nil))
        let next2 = call.nextRequest(taskIsCancelled: false)
        #expect(next2 == .wait)
    }

    @Test("a handler waiting for a request is woken by the message, with the credit to grant")
    func waitingHandlerIsWoken() {
        var call = machine(receiveWindow: 2)
        let next = call.nextRequest(taskIsCancelled: false)
        #expect(next == .wait)
        let received = call.receivedMessage(message)
        #expect(received == .resumeHandler(message, grant: 1))
        // Woken once: the next message is buffered until the handler asks again.
        let received2 = call.receivedMessage(message)
        #expect(received2 == .none)
    }

    @Test("CLOSE_SEND wakes a waiting handler with the end of the requests; a later ask gets the end too")
    func closeSendEndsTheRequests() {
        var call = machine()
        let next = call.nextRequest(taskIsCancelled: false)
        #expect(next == .wait)
        let wakes = call.receivedCloseSend()
        #expect(wakes)
        let next2 = call.nextRequest(taskIsCancelled: false)
        #expect(next2 == .end)
        var idle = machine()
        let wakes2 = idle.receivedCloseSend()
        #expect(!wakes2)
    }

    @Test("messages buffered before CLOSE_SEND still reach the handler, then the end")
    func bufferedMessagesBeforeTheEnd() {
        var call = machine()
        _ = call.receivedMessage(message)
        _ = call.receivedCloseSend()
        let next = call.nextRequest(taskIsCancelled: false)
        #expect(next == .message(message, grant: nil))
        let next2 = call.nextRequest(taskIsCancelled: false)
        #expect(next2 == .end)
    }

    @Test(
        "a unary or server-streaming call fails with INVALID_ARGUMENT on a second request",
        arguments: [
            ProtoMethodKind.unary, .serverStreaming,
        ]
    )
    func secondRequestOfAOneRequestCall(kind: ProtoMethodKind) {
        var call = machine(kind)
        let received = call.receivedMessage(message)
        #expect(received == .none)
        guard case .fail(let error) = call.receivedMessage(message) else {
            Issue.record("the second request was taken")
            return
        }
        #expect(error.code == .invalidArgument)
        #expect(error.message == "/test.Service/Method takes exactly one request message")
    }

    @Test(
        "streaming requests take many messages",
        arguments: [ProtoMethodKind.clientStreaming, .bidirectionalStreaming]
    )
    func streamingRequestsTakeMany(kind: ProtoMethodKind) {
        var call = machine(kind)
        for _ in 0..<10 { #expect(call.receivedMessage(message) == .none) }
    }

    @Test("a message after CLOSE_SEND fails the call with INVALID_ARGUMENT")
    func messageAfterCloseSend() {
        var call = machine()
        _ = call.receivedCloseSend()
        let received = call.receivedMessage(message)
        #expect(failureCode(received) == .invalidArgument)
    }

    @Test("a message beyond the window the server granted fails the call with RESOURCE_EXHAUSTED")
    func messageBeyondTheWindow() {
        var call = machine(receiveWindow: 2)
        let received = call.receivedMessage(message)
        #expect(received == .none)
        let received2 = call.receivedMessage(message)
        #expect(received2 == .none)
        let received3 = call.receivedMessage(message)
        #expect(failureCode(received3) == .resourceExhausted)
    }

    @Test("a cancelled handler with nothing buffered is told so instead of waiting")
    func cancelledHandlerDoesNotWait() {
        var call = machine()
        let next = call.nextRequest(taskIsCancelled: true)
        #expect(next == .cancelled)
    }

    // MARK: Responses

    @Test("response HEADERS go out once, before the first message, and only with metadata")
    func headersOnceAndOnlyWithMetadata() {
        var call = machine()
        call.setInitialMetadata(["k": "v"])
        let send = call.sendMessage(bytes: 1, connectionIsWritable: true)
        #expect(send == .send(headers: ["k": "v"]))
        let send2 = call.sendMessage(bytes: 1, connectionIsWritable: true)
        #expect(send2 == .send(headers: nil))
        var plain = machine()
        let send3 = plain.sendMessage(bytes: 1, connectionIsWritable: true)
        #expect(send3 == .send(headers: nil))
    }

    @Test("a response larger than the client's max_frame_bytes fails the send with RESOURCE_EXHAUSTED")
    func responseOverTheClientsLimit() {
        var call = machine(clientMaxMessageBytes: 300)
        let send = call.sendMessage(bytes: 300, connectionIsWritable: true)
        #expect(send == .send(headers: nil))
        guard case .fail(let error) = call.sendMessage(bytes: 301, connectionIsWritable: true) else {
            Issue.record("an oversized response was sent")
            return
        }
        #expect(error.code == .resourceExhausted)
        #expect(error.message == "a response of 301 bytes exceeds the client's limit of 300 bytes")
    }

    @Test("a send without credit waits for WINDOW_UPDATE, and the grant retries it")
    func sendWaitsForTheWindow() {
        var call = machine(sendWindow: 1)
        let send = call.sendMessage(bytes: 1, connectionIsWritable: true)
        #expect(send == .send(headers: nil))
        let send2 = call.sendMessage(bytes: 1, connectionIsWritable: true)
        #expect(send2 == .wait(.window, registerForDrain: false))
        let resumes = call.granted(1)
        #expect(resumes)
        let send3 = call.sendMessage(bytes: 1, connectionIsWritable: true)
        #expect(send3 == .send(headers: nil))
        // No send waits now: a grant retries nothing.
        let resumes2 = call.granted(1)
        #expect(!resumes2)
    }

    @Test("a send over a full write buffer registers once for the drain, which retries it")
    func sendWaitsForTheWriteBuffer() {
        var call = machine()
        let send = call.sendMessage(bytes: 1, connectionIsWritable: false)
        #expect(send == .wait(.writeBuffer, registerForDrain: true))
        let send2 = call.sendMessage(bytes: 1, connectionIsWritable: false)
        #expect(send2 == .wait(.writeBuffer, registerForDrain: false))
        let retries = call.writeBufferDrained()
        #expect(retries)
        let send3 = call.sendMessage(bytes: 1, connectionIsWritable: false)
        #expect(send3 == .wait(.writeBuffer, registerForDrain: true))
    }

    // MARK: Ending

    @Test("finishing sends the HEADERS not sent yet, then trailers with the handler's trailing metadata")
    func finishWithHeadersAndTrailingMetadata() {
        var call = machine()
        call.setInitialMetadata(["a": "1"])
        call.setTrailingMetadata(["z": "9"])
        let ending = call.finish(nil)
        #expect(
            ending
                == Machine.Ending(
                    headers: ["a": "1"],
                    error: nil,
                    trailingMetadata: ["z": "9"],
                    handlerWasWaiting: false
                )
        )
    }

    @Test("an error's own metadata replaces the handler's; an error without any keeps the handler's")
    func errorMetadataWins() {
        var withOwn = machine()
        withOwn.setTrailingMetadata(["z": "9"])
        let own = RPCError(.notFound, "gone", metadata: ["e": "1"])
        let ending = withOwn.finish(own)
        #expect(ending?.trailingMetadata == ["e": "1"])
        var without = machine()
        without.setTrailingMetadata(["z": "9"])
        let ending2 = without.finish(RPCError(.unavailable, "shutting down"))
        #expect(ending2?.trailingMetadata == ["z": "9"])
    }

    @Test("a call ends once: a second finish or an abandon does nothing, and later frames are dropped")
    func endsOnce() {
        var call = machine()
        let ending = call.finish(nil)
        #expect(ending != nil)
        let ending2 = call.finish(RPCError(.internal, "late"))
        #expect(ending2 == nil)
        let abandoned = call.abandon()
        #expect(abandoned == nil)
        let received = call.receivedMessage(message)
        #expect(received == .none)
        let next = call.nextRequest(taskIsCancelled: false)
        #expect(next == .cancelled)
        let send = call.sendMessage(bytes: 1, connectionIsWritable: true)
        #expect(send == .cancelled)
    }

    @Test("ending a call whose handler waits says so, for a request or a send")
    func endingWakesTheWaitingHandler() {
        var waitingForRequest = machine()
        _ = waitingForRequest.nextRequest(taskIsCancelled: false)
        let abandoned = waitingForRequest.abandon()
        #expect(abandoned == true)
        var waitingToSend = machine(sendWindow: 0)
        _ = waitingToSend.sendMessage(bytes: 1, connectionIsWritable: true)
        let ending = waitingToSend.finish(nil)
        #expect(ending?.handlerWasWaiting == true)
        var running = machine()
        let abandoned2 = running.abandon()
        #expect(abandoned2 == false)
    }

    @Test("a cancelled handler's wait ends; a message then is buffered, not handed to the gone waiter")
    func handlerCancelledWhileWaiting() {
        var call = machine()
        _ = call.nextRequest(taskIsCancelled: false)
        let wasWaiting = call.handlerCancelled()
        #expect(wasWaiting)
        let received = call.receivedMessage(message)
        #expect(received == .none)
        let wasWaiting2 = call.handlerCancelled()
        #expect(!wasWaiting2)
    }
}
