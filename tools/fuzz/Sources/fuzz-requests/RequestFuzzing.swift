import BatonFuzzing
import BatonProtos
import BatonRPC
import NIOCore

// Every routed method through the real handlers and store. The input's first line picks the
// method (seeds name it: `/baton.v1.Chats/GetChat`), the rest is the raw request message, sent
// over a real client connection to the in-process batond. Then the sweep runs, as batond's
// sweeper would, so what a request stored (leases, expiries) is swept too. Any trap in a
// handler, the codec, the store or the sweep ends the process, and libFuzzer keeps the input.

/// Inputs before the store is replaced by a fresh one, so it does not grow without bound.
let inputsPerStore = 5_000
/// Long enough for the test service's delays; a unary call takes well under a millisecond.
let unaryTimeout = Duration.seconds(2)
/// Streams such as Events/Watch never end by themselves: what they send comes within this.
let streamTimeout = Duration.milliseconds(50)
/// Responses read from a stream before it is cancelled.
let maxStreamResponses = 32

final class RequestFuzzer: @unchecked Sendable {
    // Touched only by one input's task at a time: libFuzzer runs inputs one after another.
    private var batond: InProcessBatond
    private var client: RPCClient
    private var inputs = 0

    init() async throws {
        batond = try await InProcessBatond.start()
        client = try await RPCClient.connect(socketPath: batond.socketPath)
    }

    func run(_ input: [UInt8]) async {
        inputs += 1
        if inputs % inputsPerStore == 0 { await replaceStore() }
        let methods = batond.methods
        let selected = FuzzInput(input, choosingAmong: methods.map(\.path))
        let (path, kind) = methods[selected.choice]
        let request = ByteBuffer(bytes: selected.payload)
        do {
            switch kind {
            case .unary:
                _ = try await client.unary(path: path, request: request, timeout: unaryTimeout)
            case .serverStreaming, .clientStreaming, .bidirectionalStreaming:
                let call = try await client.makeCall(path: path, timeout: streamTimeout)
                try await call.send(request)
                call.closeSend()
                var received = 0
                for try await _ in call.responses {
                    received += 1
                    if received == maxStreamResponses {
                        call.cancel()
                        break
                    }
                }
            }
        } catch let error as RPCError where error.code == .unavailable {
            await reconnectIfClosed()
        } catch {
            // Refusals are the expected answer to most inputs.
        }
        _ = try? await batond.handoff.sweep()
    }

    /// A handler may answer UNAVAILABLE; only a dead connection needs a new one.
    private func reconnectIfClosed() async {
        do {
            try await client.ping()
        } catch {
            await client.close()
            client = try! await RPCClient.connect(socketPath: batond.socketPath)
        }
    }

    private func replaceStore() async {
        await client.close()
        await batond.stop()
        batond = try! await InProcessBatond.start()
        client = try! await RPCClient.connect(socketPath: batond.socketPath)
    }
}

nonisolated(unsafe) var fuzzer: RequestFuzzer?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequests(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    if fuzzer == nil { fuzzer = runBlocking { try! await RequestFuzzer() } }
    let target = fuzzer!
    runBlocking { await target.run(input) }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func mutateRequest(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    CustomMutator.mutateFuzzInput(data, size, maxSize, seed)
}
