import Testing

@testable import BatonRPC

@Suite("Client connection state machine")
struct ClientConnectionStateMachineTests {
    /// Calls are plain names here: the machine never looks inside them.
    private typealias Machine = ClientConnectionHandler.StateMachine<String>

    /// Opens `count` calls, named after their streams.
    private func machine(openCalls count: Int) throws -> Machine {
        var machine = Machine()
        for _ in 0..<count {
            let id = try machine.openStream().get()
            machine.callOpened("call \(id)", streamID: id)
        }
        return machine
    }

    @Test("calls get increasing stream ids from 1")
    func streamIDs() throws {
        var machine = Machine()
        let ids = try (0..<3).map { _ in try machine.openStream().get() }
        #expect(ids == [1, 2, 3])
    }

    @Test("a server speaking another version is refused with UNAVAILABLE naming both")
    func otherVersion() {
        let machine = Machine()
        #expect(machine.receivedPreface(version: RPCPreface.version) == nil)
        #expect(
            machine.receivedPreface(version: 7)
                == RPCError(.unavailable, "the server speaks protocol version 7, this client \(RPCPreface.version)")
        )
    }

    @Test("the server's SETTINGS set the window and the largest request; zero keeps them")
    func settings() {
        var machine = Machine()
        machine.receivedSettings(initialWindowMessages: 8, maxFrameBytes: 300)
        machine.receivedSettings(initialWindowMessages: 0, maxFrameBytes: 0)
        #expect(machine.sendWindow == 8)
        #expect(machine.serverMaxFrameSize == 300)
    }

    @Test("GOAWAY fails the calls the server never saw, keeps the others, and refuses new calls with its code")
    func goAway() throws {
        var machine = try machine(openCalls: 3)
        let action = machine.receivedGoAway(lastStreamID: 1, code: .resourceExhausted, reason: "busy")
        #expect(Set(action.failing) == ["call 2", "call 3"])
        #expect(action.error == RPCError(.resourceExhausted, "busy"))
        #expect(machine.call(onStream: 1) == "call 1")
        #expect(machine.call(onStream: 2) == nil)
        let next = machine.openStream()
        #expect(next.failure == action.error)
    }

    @Test("a GOAWAY with code OK and no reason refuses new calls with UNAVAILABLE and a reason")
    func goAwayOK() {
        var machine = Machine()
        let action = machine.receivedGoAway(lastStreamID: 0, code: .ok, reason: "")
        #expect(action.failing.isEmpty)
        #expect(action.error == RPCError(.unavailable, "the server closed the connection"))
    }

    @Test("a failed connection hands back every call and refuses new ones with the first reason it learned")
    func failure() throws {
        var machine = try machine(openCalls: 2)
        let failing = machine.failed(RPCError(.unavailable, "connection failed"))
        let later = machine.failed(RPCError(.unavailable, "the connection to the server closed"))
        #expect(Set(failing) == ["call 1", "call 2"])
        #expect(later.isEmpty)
        #expect(machine.refusal == RPCError(.unavailable, "connection failed"))
    }

    @Test("an ended call no longer receives frames")
    func callEnded() throws {
        var machine = try machine(openCalls: 1)
        machine.callEnded(streamID: 1)
        #expect(machine.call(onStream: 1) == nil)
    }
}
