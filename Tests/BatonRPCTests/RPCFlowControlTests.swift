import Testing

@testable import BatonRPC

@Suite("Flow control")
struct RPCFlowControlTests {
    /// Consumes `count` messages and returns the grants flow control asked for, in order.
    private func consume(_ count: Int, _ flowControl: inout RPCFlowControl) -> [Int] {
        (0..<count).compactMap { _ in flowControl.consumedMessage() }
    }

    @Test("a peer sending past the window it was granted is caught on the first message too many")
    func peerExceedingTheWindow() {
        var flowControl = RPCFlowControl(receiveWindow: 3, sendWindow: 0)
        let withinWindow = (0..<3).map { _ in flowControl.receivedMessage() }
        let beyond = flowControl.receivedMessage()
        #expect(withinWindow == [true, true, true])
        #expect(!beyond)
    }

    @Test("credit is granted back once half the window is consumed", arguments: [(2, 1), (8, 4), (9, 5), (64, 32)])
    func grantsAtHalfTheWindow(window: Int, grant: Int) {
        var flowControl = RPCFlowControl(receiveWindow: window, sendWindow: 0)
        for _ in 0..<2 {  // and counting starts again after each grant
            #expect(consume(grant - 1, &flowControl).isEmpty)
            let grant = flowControl.consumedMessage()
            #expect(grant == grant)
        }
    }

    @Test("a large window is granted back every 32 messages, so a sender pausing at 32 never deadlocks")
    func grantsEveryMessagesPerGrantForALargeWindow() {
        var flowControl = RPCFlowControl(receiveWindow: 1024, sendWindow: 0)
        #expect(consume(31, &flowControl).isEmpty)
        let grant = flowControl.consumedMessage()
        #expect(grant == RPCFlowControl.messagesPerGrant)
    }

    @Test("the granted credit lets the peer send again: consumed messages never count against its window")
    func grantedCreditRestoresThePeersWindow() {
        var flowControl = RPCFlowControl(receiveWindow: 4, sendWindow: 0)
        for _ in 0..<100 {
            let received = flowControl.receivedMessage()
            #expect(received)
            _ = flowControl.consumedMessage()
        }
    }

    @Test("sending stops when the credit is used up and resumes when the peer grants more")
    func sendingWaitsForCredit() {
        var flowControl = RPCFlowControl(receiveWindow: 1, sendWindow: 2)
        flowControl.sentMessage(bytes: 1)
        flowControl.sentMessage(bytes: 1)
        #expect(!flowControl.allowsSending)
        let resumes = flowControl.granted(1)
        #expect(resumes)
        flowControl.sentMessage(bytes: 1)
        #expect(!flowControl.allowsSending)
    }

    @Test("credit beyond the cap is taken as the cap, and no grant overflows it", arguments: [2, 1_000, Int.max])
    func creditIsCapped(grant: Int) {
        var flowControl = RPCFlowControl(receiveWindow: 1, sendWindow: 5_000, maxSendCredit: 40)
        #expect(flowControl.sendCredit == 40)
        _ = flowControl.granted(grant)
        _ = flowControl.granted(grant)
        #expect(flowControl.sendCredit == 40)
    }

    @Test("without a cap, endless grants saturate instead of trapping")
    func uncappedCreditSaturates() {
        var flowControl = RPCFlowControl(receiveWindow: 1, sendWindow: 10)
        _ = flowControl.granted(Int.max)
        #expect(flowControl.sendCredit == Int.max)
        flowControl.sentMessage(bytes: 1)
        #expect(flowControl.allowsSending)
    }

    @Test("the byte cap holds sends back only once 32 messages are unacknowledged, and a grant releases it")
    func byteCapAppliesFromMessagesPerGrant() {
        var flowControl = RPCFlowControl(receiveWindow: 1, sendWindow: 1024, maxUnacknowledgedBytes: 100)
        for _ in 0..<(RPCFlowControl.messagesPerGrant - 1) {
            flowControl.sentMessage(bytes: 1_000)
            #expect(flowControl.allowsSending)
        }
        flowControl.sentMessage(bytes: 1_000)
        #expect(!flowControl.allowsSending)
        // Acknowledging the oldest message leaves 31 unacknowledged: under the count, sending resumes.
        let resumes = flowControl.granted(1)
        #expect(resumes)
    }

    @Test("small messages never reach the byte cap")
    func smallMessagesUnderTheByteCap() {
        var flowControl = RPCFlowControl(receiveWindow: 1, sendWindow: 1024, maxUnacknowledgedBytes: 100)
        for _ in 0..<(RPCFlowControl.messagesPerGrant + 5) { flowControl.sentMessage(bytes: 2) }
        #expect(flowControl.allowsSending)
    }

    @Test("without a byte cap, large unacknowledged messages never hold sends back")
    func noByteCap() {
        var flowControl = RPCFlowControl(receiveWindow: 1, sendWindow: 1024)
        for _ in 0..<100 { flowControl.sentMessage(bytes: 1 << 20) }
        #expect(flowControl.allowsSending)
    }
}
