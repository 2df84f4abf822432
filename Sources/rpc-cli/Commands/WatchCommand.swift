import ArgumentParser
import BatonProtos
import BatonRPC
import Foundation

/// `rpc-cli watch`: follows batond's event log, and picks up where it left off when batond
/// restarts or the connection drops, so nothing is missed and nothing is printed twice.
struct WatchCommand: AsyncParsableCommand, FormatsItsErrors {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow the event log (transfers, messages, presence, meetings), resuming across batond restarts.",
        discussion: """
            Prints one event per line: JSON (pipe it to jq) or, on a terminal, a short summary. When \
            batond goes away the watch reconnects and resumes after the last event it printed: no gap, \
            no duplicate. Filters combine: --chat chat-1 --kind transfer_completed.
            Example: rpc-cli watch --chat chat-1 --from 1 --no-follow
            """
    )

    @Option(name: .customLong("chat"), help: "Only events about this chat (repeatable).")
    var chatIDs: [String] = []

    @Option(name: .customLong("rep"), help: "Only events concerning this rep (repeatable).")
    var repIDs: [String] = []

    @Option(name: .customLong("team"), help: "Only events concerning this team (repeatable).")
    var teamIDs: [String] = []

    @Option(
        name: .customLong("kind"),
        help: "Only events of this kind, e.g. transfer_completed (repeatable).",
        completion: .list(WatchCommand.kindNames)
    )
    var kinds: [String] = []

    @Option(help: "Start with the event with this sequence number (default: the first stored event).")
    var from: UInt64?

    @Flag(help: "Stop once every stored event is printed instead of following new ones.")
    var noFollow = false

    @Flag(name: .customLong("new"), help: "Skip the stored events: only those committed from now on (like tail -f).")
    var onlyNew = false

    @Option(help: "Give up when batond stays unreachable this many seconds (default: keep trying).")
    var retryFor: Seconds?

    @OptionGroup var output: OutputOptions

    var errorFormat: OutputFormat? { output.format }
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if from == 0 { throw ValidationError("--from counts from 1, the first event's sequence number") }
        if from != nil && onlyNew { throw ValidationError("--from and --new each say where to start: pick one") }
        _ = try eventKinds()
    }

    func run() async throws {
        var request = Baton_V1_WatchRequest()
        request.chatIDs = chatIDs
        request.repIDs = repIDs
        request.teamIDs = teamIDs
        request.kinds = try eventKinds()
        request.stopWhenCaughtUp = noFollow
        // Only the first call skips the stored events: a resumed one goes on after the last seen.
        request.onlyNew = onlyNew
        var lastSequence = (from ?? 1) - 1
        let printer = ResponsePrinter(messageName: Baton_V1_Event.protoMessageName, output: output)
        var reconnection = Reconnection(retryFor: retryFor)
        while true {
            request.afterSequence = lastSequence
            if lastSequence > 0 { request.onlyNew = false }
            do {
                try await connection.withClient { client in
                    let call = try await client.serverStreaming(
                        "/baton.v1.Events/Watch",
                        request,
                        as: Baton_V1_Event.self,
                        metadata: connection.metadata,
                        timeout: connection.timeoutDuration
                    )
                    reconnection.succeeded(lastSequence)
                    for try await event in call {
                        try printer.print(try event.serializedBytes())
                        lastSequence = event.sequence
                    }
                }
                return
            } catch let failure as CLIFailure {
                guard case .unreachable = failure else { throw failure }
                try await reconnection.failed(because: "batond is unreachable", lastSequence)
            } catch let error as RPCError where Self.isWorthResuming(error) {
                // The server examined events past the last one printed (filtered out): resuming
                // from there reads nothing twice and is never told those expired.
                if let examined = error.metadata[Baton_V1_WatchRequest.resumeAfterMetadataKey].flatMap(UInt64.init), examined > lastSequence {
                    lastSequence = examined
                }
                try await reconnection.failed(because: "\(error.code.name): \(error.message)", lastSequence)
            } catch let error as RPCError {
                throw CLIFailure.status(error)
            }
        }
    }

    /// batond going away (UNAVAILABLE) or ending a watcher that fell behind: the log is
    /// still there, so resuming after the last printed event loses nothing.
    private static func isWorthResuming(_ error: RPCError) -> Bool {
        error.code == .unavailable || error.code == .resourceExhausted
    }

    /// The --kind values as EventKinds; accepts `transfer_completed`, `TRANSFER_COMPLETED` and
    /// `EVENT_KIND_TRANSFER_COMPLETED`.
    private func eventKinds() throws -> [Baton_V1_EventKind] {
        let descriptor = ProtoEnumDescriptor.lookup(Baton_V1_EventKind.protoEnumName)!
        return try kinds.map { kind in
            let name = kind.uppercased().hasPrefix("EVENT_KIND_") ? kind.uppercased() : "EVENT_KIND_" + kind.uppercased()
            guard let number = descriptor.number(of: name), number != 0 else {
                throw ValidationError("unknown event kind \(kind); one of: \(Self.kindNames.joined(separator: ", "))")
            }
            return Baton_V1_EventKind(rawValue: number)
        }
    }

    static var kindNames: [String] {
        ProtoEnumDescriptor.lookup(Baton_V1_EventKind.protoEnumName)!.values
            .filter { $0.number != 0 }
            .map { $0.name.dropFirst("EVENT_KIND_".count).lowercased() }
    }
}

/// Reconnecting after batond went away: says so once per outage, waits with growing pauses
/// between attempts, and gives up after --retry-for.
struct Reconnection {
    let retryFor: Seconds?
    private var outageStarted: ContinuousClock.Instant?
    private var pause: Duration = .milliseconds(100)

    init(retryFor: Seconds?) { self.retryFor = retryFor }

    /// A watch call is open again.
    mutating func succeeded(_ lastSequence: UInt64) {
        guard outageStarted != nil else { return }
        Terminal.printError("rpc-cli: reconnected; resuming after event #\(lastSequence)")
        outageStarted = nil
        pause = .milliseconds(100)
    }

    /// An attempt failed: sleeps before the next one, or throws once --retry-for has passed.
    mutating func failed(because reason: String, _ lastSequence: UInt64) async throws {
        let now = ContinuousClock.now
        if outageStarted == nil {
            Terminal.printError("rpc-cli: \(reason); reconnecting to resume after event #\(lastSequence)")
            outageStarted = now
        }
        if let retryFor, let outageStarted, now - outageStarted > retryFor.duration {
            throw CLIFailure.unreachable("batond did not come back within \(retryFor.value) s; the last event printed was #\(lastSequence)")
        }
        try await Task.sleep(for: pause)
        pause = min(pause * 2, .seconds(2))
    }
}
