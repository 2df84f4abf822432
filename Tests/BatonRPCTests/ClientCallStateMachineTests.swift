import NIOCore
import Testing

@testable import BatonRPC

@Suite("Client call state machine")
struct ClientCallStateMachineTests {
    private typealias Machine = ClientCall.StateMachine

    private func machine(receiveWindow: Int = 64, sendWindow: Int = 64) -> Machine {
        Machine(flowControl: RPCFlowControl(receiveWindow: receiveWindow, sendWindow: sendWindow))
    }

    private let message = ByteBuffer(string: "m")

    @Test("a response before any HEADERS means empty response metadata")
    func messageWithoutHeaders() {
        var call = machine()
        #expect(call.initialMetadata == nil)
        _ = call.receivedMessage(message)
        #expect(call.initialMetadata == [:])
    }

    @Test("a waiting reader is woken by the next message, with the credit to grant at half the window")
    func waitingReader() {
        var call = machine(receiveWindow: 2)
        let first = call.nextResponse()
        let received = call.receivedMessage(message)
        #expect(first == .wait)
        #expect(received == .resumeReader(message, grant: 1))
    }

    @Test("messages buffered before the trailers are read, then the end; no credit is granted after it")
    func bufferedMessagesThenTheEnd() {
        var call = machine(receiveWindow: 2)
        _ = call.receivedMessage(message)
        _ = call.finish(.success([:]))
        let next = call.nextResponse()
        let after = call.nextResponse()
        #expect(next == .message(message, grant: nil))
        #expect(after == .end)
    }

    @Test("a failed call hands its error to the reader, and to a send")
    func failedCall() {
        var call = machine()
        let error = RPCError(.notFound, "gone")
        _ = call.finish(.failure(error))
        let next = call.nextResponse()
        let send = call.sendMessage(bytes: 1, serverMaxFrameSize: 1024)
        #expect(next == .fail(error))
        #expect(send == .fail(error))
    }

    @Test("a send after a successful end fails with FAILED_PRECONDITION")
    func sendAfterTheEnd() {
        var call = machine()
        _ = call.finish(.success([:]))
        let send = call.sendMessage(bytes: 1, serverMaxFrameSize: 1024)
        #expect(send == .fail(RPCError(.failedPrecondition, "the call already ended")))
    }

    @Test("a request larger than the server accepts fails with RESOURCE_EXHAUSTED naming the limit")
    func oversizedRequest() {
        var call = machine()
        let send = call.sendMessage(bytes: 1025, serverMaxFrameSize: 1024)
        #expect(
            send
                == .fail(
                    RPCError(.resourceExhausted, "a request of 1025 bytes exceeds the server's limit of 1024 bytes")
                )
        )
    }

    @Test("a send without credit waits for the server's grant, which retries it once")
    func sendWaitsForCredit() {
        var call = machine(sendWindow: 1)
        let first = call.sendMessage(bytes: 1, serverMaxFrameSize: 1024)
        let second = call.sendMessage(bytes: 1, serverMaxFrameSize: 1024)
        let retries = call.granted(1)
        let again = call.granted(1)
        #expect(first == .send)
        #expect(second == .wait)
        #expect(retries)
        #expect(!again)
    }

    @Test("ending a call says which waits fail: a waiting send fails with the call's error")
    func endingFailsTheWaits() throws {
        var call = machine(sendWindow: 0)
        _ = call.nextResponse()
        _ = call.sendMessage(bytes: 1, serverMaxFrameSize: 1024)
        let first = call.finish(.failure(RPCError(.unavailable, "closed")))
        let again = call.finish(.success([:]))
        let ending = try #require(first)
        #expect(ending.readerWasWaiting)
        #expect(ending.failedSend == RPCError(.unavailable, "closed"))
        #expect(again == nil)
    }

    @Test("a unary call answers with its one response and the headers' then the trailers' metadata")
    func unaryAnswer() throws {
        var call = machine()
        call.collectUnaryResponse()
        call.receivedHeaders(["h": "1"])
        _ = call.receivedMessage(message)
        _ = call.receivedMessage(ByteBuffer(string: "second"))
        let ending = call.finish(.success(["t": "2"]))
        let answer = try #require(ending?.unaryAnswer).get()
        #expect(answer.message == message)
        #expect(answer.metadata == ["h": "1", "t": "2"])
    }

    @Test("a unary call that ends OK without a response fails with INTERNAL")
    func unaryWithoutResponse() throws {
        var call = machine()
        call.collectUnaryResponse()
        let ending = call.finish(.success([:]))
        let answer = try #require(ending?.unaryAnswer)
        #expect(answer.failure == RPCError(.internal, "the server ended a unary call without a response"))
    }
}
