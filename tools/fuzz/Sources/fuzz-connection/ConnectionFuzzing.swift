import BatonFuzzing

// Arbitrary bytes as a whole connection to the in-process batond: its preface check, SETTINGS,
// stream ids, flow control, call headers, cancellation and the calls they open, through the
// server's real connection handler, router, handlers and store. Seeds are well-formed
// conversations (preface, SETTINGS, calls of every method) that mutations then break.

/// Connections before the store is replaced by a fresh one, so it does not grow without bound.
let inputsPerStore = 5_000
/// Long enough for the answers to a well-formed conversation; streams such as Events/Watch
/// never end by themselves.
let quietMillis: Int32 = 50

nonisolated(unsafe) var batond: InProcessBatond?
nonisolated(unsafe) var inputs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnection(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    inputs += 1
    if let running = batond, inputs % inputsPerStore == 0 {
        runBlocking { await running.stop() }
        batond = nil
    }
    if batond == nil { batond = runBlocking { try! await InProcessBatond.start() } }
    // The first call of a process is slow (time zones, statement caches, a cold store), and a
    // replayed crash is the first: it must get as far as it did while fuzzing.
    RawConnection.exchange(input, socketPath: batond!.socketPath, timeoutMillis: inputs == 1 ? 1_000 : quietMillis)
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func mutateConversation(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    CustomMutator.mutateConversation(data, size, maxSize, seed)
}
