import BatonProtos
import BatonRPC
import Synchronization
import Testing

/// Callers each moving a chat of their own back and forth between Ana and Ben through the
/// batonds, an idempotency key per transfer, until stopped. A call that fails is retried with
/// the same key until acknowledged: on the same batond once it serves again, or on the caller's
/// next batond when its own is gone. Every acknowledgement is recorded, to check that none was
/// lost.
final class TransferLoad: Sendable {
    struct Acknowledgement: Sendable {
        let caller: Int
        /// Which batond answered.
        let host: Int
        let chatID: String
        let version: UInt64
    }

    private struct Waiter {
        let isSatisfied: @Sendable ([Acknowledgement]) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var acknowledged: [Acknowledgement] = []
        var unavailableFailures = 0
        var waiters: [Waiter] = []
        var stopping = false
        var ended = false
    }

    private let hosts: [Host]
    private let chats: [Baton_V1_Chat]
    private let state = Mutex(State())

    private init(hosts: [Host], chats: [Baton_V1_Chat]) {
        self.hosts = hosts
        self.chats = chats
    }

    /// Adds Ana and Ben and a chat per caller (started through the batonds in turn).
    static func prepare(callers: Int, on hosts: [Host]) async throws -> TransferLoad {
        try await addAvailableReps(["ana", "ben"], on: hosts[0])
        var chats: [Baton_V1_Chat] = []
        for caller in 0..<callers { chats.append(try await startChat(owner: "ana", on: hosts[caller % hosts.count])) }
        return TransferLoad(hosts: hosts, chats: chats)
    }

    var acknowledged: [Acknowledgement] { state.withLock { $0.acknowledged } }
    /// Calls that failed as UNAVAILABLE on a batond that was still there.
    var unavailableFailures: Int { state.withLock { $0.unavailableFailures } }

    /// Runs every caller until `stop()`; `hostsOf(caller)` lists the batonds (indexes) a caller
    /// uses, in order.
    func run(_ hostsOf: @escaping @Sendable (Int) -> [Int]) async throws {
        defer { end() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in chats.indices {
                group.addTask { try await self.runCaller(caller, hosts: hostsOf(caller)) }
            }
            try await group.waitForAll()
        }
    }

    /// Callers finish the transfer they are on (until acknowledged), then stop.
    func stop() { state.withLock { $0.stopping = true } }

    private func runCaller(_ caller: Int, hosts preferred: [Int]) async throws {
        var preference = 0
        var owner = "ana"
        var step = 0
        while !state.withLock({ $0.stopping }) {
            let target = owner == "ana" ? "ben" : "ana"
            let request = Make.transfer(chats[caller].id, by: owner, to: target, key: "caller-\(caller)-\(step)")
            while true {
                let index = preferred[preference]
                do {
                    let response: Baton_V1_TransferChatResponse = try await hosts[index].call(
                        "Chats/TransferChat",
                        request
                    )
                    let version = response.chat!.version
                    record(Acknowledgement(caller: caller, host: index, chatID: request.chatID, version: version))
                    break
                } catch let error as RPCError where error.code == .unavailable {
                    do {
                        var health = try await HealthWatch(on: hosts[index])
                        state.withLock { $0.unavailableFailures += 1 }
                        try await health.next(.serving)
                    } catch {
                        // The batond itself is gone: carry on through the next one.
                        preference += 1
                        guard preference < preferred.count else { throw error }
                    }
                } catch {
                    throw TransferFailed(caller: caller, step: step, host: index, error: error)
                }
            }
            owner = target
            step += 1
        }
    }

    private func record(_ acknowledgement: Acknowledgement) {
        let ready = state.withLock { state in
            state.acknowledged.append(acknowledgement)
            let acknowledged = state.acknowledged
            let ready = state.waiters.filter { $0.isSatisfied(acknowledged) }
            state.waiters.removeAll { $0.isSatisfied(acknowledged) }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    private func end() {
        let waiters = state.withLock { state in
            state.ended = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Waits until the acknowledgements so far satisfy `isSatisfied` (or the load ended).
    func waitUntil(_ isSatisfied: @escaping @Sendable ([Acknowledgement]) -> Bool) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.ended || isSatisfied(state.acknowledged) { return true }
                state.waiters.append(Waiter(isSatisfied: isSatisfied, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Every acknowledged transfer is in the log, once, and no other: each chat's transfers
    /// went Ana to Ben, Ben to Ana, ... as many times as acknowledged, and the chat is at the
    /// version its last acknowledged transfer gave it.
    func expectEveryAcknowledgementOnce(
        reading host: Host,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let events = try await caughtUpEvents(host)
        for chat in chats {
            let targets = events.compactMap { event -> String? in
                guard event.chatID == chat.id, case .transferCompleted(let completed) = event.payload else {
                    return nil
                }
                return completed.toRepID
            }
            let acknowledged = self.acknowledged.filter { $0.chatID == chat.id }
            let alternating = (0..<acknowledged.count).map { $0 % 2 == 0 ? "ben" : "ana" }
            #expect(targets == alternating, "\(chat.id)", sourceLocation: sourceLocation)
            let read: Baton_V1_GetChatResponse = try await host.call("Chats/GetChat", Make.getChat(chat.id))
            #expect(read.chat?.version == acknowledged.map(\.version).max(), sourceLocation: sourceLocation)
        }
    }
}

/// A transfer of the load failed otherwise than UNAVAILABLE.
struct TransferFailed: Error, CustomStringConvertible {
    let caller: Int
    let step: Int
    let host: Int
    let error: any Error
    var description: String { "caller \(caller), transfer \(step), through batond \(host): \(error)" }
}
