import NIOCore
import Testing

@testable import BatonRPC

@Suite("Server connection state machine")
struct ServerConnectionStateMachineTests {
    /// Calls are plain names here: the machine never looks inside them.
    private typealias Machine = ServerConnectionHandler.StateMachine<String>

    private static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func openMachine(maxConcurrentCalls: Int = 2, idleTimeout: TimeAmount = .seconds(10)) -> Machine {
        var machine = Machine(
            maxConcurrentCalls: maxConcurrentCalls,
            maxWindowMessages: 1024,
            idleTimeout: idleTimeout,
            now: Self.start
        )
        _ = machine.receivedPreface(version: RPCPreface.version)
        return machine
    }

    /// Opens a call named after its stream.
    private func open(_ streamID: UInt32, on machine: inout Machine) throws {
        try machine.receivedHeaders(streamID: streamID)
        machine.callStarted("call \(streamID)")
    }

    private func protocolError(_ body: () throws(RPCProtocolError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Preface

    @Test("frames count only after a valid preface")
    func framesWaitForThePreface() {
        var machine = Machine(maxConcurrentCalls: 1, maxWindowMessages: 1024, idleTimeout: .seconds(1), now: Self.start)
        #expect(!machine.acceptsFrames)
        let action = machine.receivedPreface(version: RPCPreface.version)
        #expect(action == .accept)
        #expect(machine.acceptsFrames)
    }

    @Test("a preface of another version is answered with GOAWAY FAILED_PRECONDITION naming both versions")
    func unsupportedVersion() {
        var machine = Machine(maxConcurrentCalls: 1, maxWindowMessages: 1024, idleTimeout: .seconds(1), now: Self.start)
        let action = machine.receivedPreface(version: 9)
        #expect(
            action
                == .goAway(
                    .failedPrecondition,
                    reason: "unsupported protocol version 9; this server speaks \(RPCPreface.version)"
                )
        )
        #expect(!machine.acceptsFrames)
    }

    // MARK: Settings

    @Test("the client's SETTINGS set the send window, capped, and its max frame size; zero keeps the value")
    func settings() throws {
        var machine = openMachine()
        try machine.receivedSettings(initialWindowMessages: 5_000, maxFrameBytes: 300)
        #expect(machine.sendWindow == 1024)
        #expect(machine.clientMaxFrameSize == 300)
        try machine.receivedSettings(initialWindowMessages: 0, maxFrameBytes: 0)
        #expect(machine.sendWindow == 1024)
        #expect(machine.clientMaxFrameSize == 300)
    }

    @Test("a max_frame_bytes below 256 is a protocol error and changes nothing", arguments: [1, 255] as [UInt32])
    func maxFrameBytesBelowTheMinimum(bytes: UInt32) {
        var machine = openMachine()
        let error = protocolError { () throws(RPCProtocolError) in
            try machine.receivedSettings(initialWindowMessages: 8, maxFrameBytes: bytes)
        }
        #expect(error == "SETTINGS max_frame_bytes \(bytes) is below the minimum of 256")
        #expect(machine.clientMaxFrameSize == 4 << 20)
        #expect(machine.sendWindow == 64)
    }

    // MARK: Streams

    @Test("stream ids must increase", arguments: [3, 1] as [UInt32])
    func streamIDsIncrease(reused: UInt32) throws {
        var machine = openMachine()
        try open(3, on: &machine)
        let error = protocolError { () throws(RPCProtocolError) in try machine.receivedHeaders(streamID: reused) }
        #expect(error == "HEADERS on stream \(reused); stream ids must increase (last was 3)")
    }

    @Test("a frame on a stream no HEADERS opened is a protocol error; one on an ended call is dropped")
    func framesOnUnknownStreams() throws {
        var machine = openMachine()
        try open(1, on: &machine)
        #expect(try machine.call(onStream: 1, frame: .message) == "call 1")
        _ = machine.callEnded(streamID: 1, now: Self.start)
        #expect(try machine.call(onStream: 1, frame: .message) == nil)
        let error = protocolError { () throws(RPCProtocolError) in _ = try machine.call(onStream: 2, frame: .cancel) }
        #expect(error == "CANCEL on stream 2, which no HEADERS opened")
    }

    @Test("past the limit of calls in flight, a new call is refused with RESOURCE_EXHAUSTED until one ends")
    func concurrencyLimit() throws {
        var machine = openMachine(maxConcurrentCalls: 2)
        try open(1, on: &machine)
        #expect(machine.refusal == nil)
        try open(3, on: &machine)
        #expect(machine.refusal?.code == .resourceExhausted)
        #expect(machine.refusal?.message == "more than 2 calls in flight on this connection")
        _ = machine.callEnded(streamID: 1, now: Self.start)
        #expect(machine.refusal == nil)
    }

    // MARK: Ending, idleness, half-close

    @Test("the last call to end starts the idle clock; an earlier one does nothing")
    func lastCallArmsTheIdleTimer() throws {
        var machine = openMachine()
        try open(1, on: &machine)
        try open(3, on: &machine)
        let first = machine.callEnded(streamID: 1, now: Self.start)
        let last = machine.callEnded(streamID: 3, now: Self.start)
        let again = machine.callEnded(streamID: 3, now: Self.start)
        #expect(first == .none)
        #expect(last == .armIdleTimer)
        #expect(again == .none)
    }

    @Test("the idle timer closes only a connection idle for the whole timeout, and looks again otherwise")
    func idleTimer() throws {
        var machine = openMachine(idleTimeout: .seconds(10))
        #expect(machine.idleTimerFired(now: Self.start + .seconds(10)) == .goAway)
        try open(1, on: &machine)
        #expect(machine.idleTimerFired(now: Self.start + .seconds(10)) == .none)
        _ = machine.callEnded(streamID: 1, now: Self.start + .seconds(4))
        #expect(machine.idleTimerFired(now: Self.start + .seconds(10)) == .rearm(after: .seconds(4)))
        #expect(machine.idleTimerFired(now: Self.start + .seconds(14)) == .goAway)
    }

    @Test("after the client's half-close the connection closes when its last call ends, or at once if none runs")
    func halfClose() throws {
        var busy = openMachine()
        try open(1, on: &busy)
        let closesAtOnce = busy.receivedInputClosed()
        let afterLastCall = busy.callEnded(streamID: 1, now: Self.start)
        #expect(!closesAtOnce)
        #expect(afterLastCall == .close)
        var idle = openMachine()
        let idleCloses = idle.receivedInputClosed()
        #expect(idleCloses)
    }

    // MARK: Drain and close

    @Test("a drain refuses new calls with UNAVAILABLE, lets those in flight finish, then closes")
    func drain() throws {
        var machine = openMachine()
        try open(1, on: &machine)
        let inFlight = machine.beginDrain()
        #expect(inFlight == ["call 1"])
        #expect(machine.afterDrainStarted() == .startGraceTimer)
        #expect(machine.refusal?.code == .unavailable)
        #expect(machine.acceptsFrames)
        let again = machine.beginDrain()
        #expect(again == nil)
        let last = machine.callEnded(streamID: 1, now: Self.start)
        #expect(last == .close)
    }

    @Test("draining a connection with no call in flight closes it")
    func drainIdle() {
        var machine = openMachine()
        let inFlight = machine.beginDrain()
        #expect(inFlight == [])
        #expect(machine.afterDrainStarted() == .close)
    }

    @Test("closing hands back the calls in flight, once; a closed connection takes no frames and cannot drain")
    func close() throws {
        var machine = openMachine()
        try open(1, on: &machine)
        let inFlight = machine.close()
        let again = machine.close()
        let drain = machine.beginDrain()
        #expect(inFlight == ["call 1"])
        #expect(again == nil)
        #expect(drain == nil)
        #expect(!machine.acceptsFrames)
        #expect(machine.idleTimerFired(now: Self.start + .seconds(100)) == .none)
    }
}
