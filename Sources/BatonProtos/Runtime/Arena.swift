internal import CBatonProtobufC

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bump allocator that owns every C struct of one encode or decode, freed all at once.
///
/// It is also protobuf-c's allocator during unpack: one arena instead of a `malloc` per string
/// and message (cheaper than protobuf-c's default), and a hard budget so hostile input cannot
/// make a decode allocate without bound.
final class Arena {
    /// The allocation state, at a stable address that C callbacks and writers use without
    /// reference counting.
    let allocator: ArenaAllocator

    init(budget: Int = .max) {
        let state = UnsafeMutablePointer<ArenaAllocator.State>.allocate(capacity: 1)
        state.initialize(to: .init(budget: budget))
        allocator = ArenaAllocator(state: state)
    }

    deinit {
        var chunk = allocator.state.pointee.lastChunk
        while let current = chunk {
            chunk = current.load(as: UnsafeMutableRawPointer?.self)
            ArenaAllocator.releaseChunk(current)
        }
        allocator.state.deallocate()
    }

    var budget: Int { allocator.state.pointee.budget }
    var budgetExceeded: Bool { allocator.state.pointee.budgetExceeded }

    /// Runs `body` with a protobuf-c allocator backed by this arena.
    func withProtobufCAllocator<Result>(_ body: (UnsafeMutablePointer<ProtobufCAllocator>) -> Result) -> Result {
        var protobufCAllocator = ProtobufCAllocator(
            alloc: { state, size in
                ArenaAllocator(state: state!.assumingMemoryBound(to: ArenaAllocator.State.self))
                    .allocateRecordingSize(byteCount: size)
            },
            free: { _, _ in },  // everything goes when the arena does
            allocator_data: UnsafeMutableRawPointer(allocator.state)
        )
        return withExtendedLifetime(self) { body(&protobufCAllocator) }
    }
}

/// The allocating half of an `Arena`, a plain pointer: valid while its arena lives.
struct ArenaAllocator {
    struct State {
        var budget: Int
        var cursor: UnsafeMutableRawPointer? = nil
        var remaining = 0
        var allocatedBytes = 0
        var budgetExceeded = false
        /// Chunks form a list through their header (next chunk, chunk size), newest first.
        var lastChunk: UnsafeMutableRawPointer? = nil
    }

    let state: UnsafeMutablePointer<State>

    private static let alignment = 8
    private static let chunkHeader = 16
    /// Most messages fit one chunk of this size. Such chunks are recycled through the thread's
    /// `ChunkCache`: taking a fresh one from malloc each time costs more than the whole encode of
    /// a small message, because glibc consolidates its free lists on requests this large.
    private static let standardChunkSize = 32 << 10

    /// Returns `byteCount` bytes aligned for any C scalar, or nil once the budget is spent.
    @inline(__always)
    func allocate(byteCount: Int) -> UnsafeMutableRawPointer? {
        let size = (max(byteCount, 1) + Self.alignment - 1) & ~(Self.alignment - 1)
        if size > state.pointee.remaining {
            guard growChunk(toFit: size) else { return nil }
        }
        let result = state.pointee.cursor!
        state.pointee.cursor = result + size
        state.pointee.remaining -= size
        return result
    }

    /// Like `allocate(byteCount:)`, with `byteCount` recorded in the 8 bytes before the result.
    ///
    /// protobuf-c allocates each string it unpacks as exactly its wire length plus a NUL, through
    /// this; the writer allocates strings the same way. A string's recorded size that is more than
    /// its `strlen` + 1 therefore held a U+0000 that protobuf-c's C strings silently cut at.
    @inline(__always)
    func allocateRecordingSize(byteCount: Int) -> UnsafeMutableRawPointer? {
        guard let block = allocate(byteCount: byteCount + 8) else { return nil }
        block.storeBytes(of: byteCount, as: Int.self)
        return block + 8
    }

    /// The size recorded by `allocateRecordingSize` for `pointer`.
    static func recordedSize(of pointer: UnsafeRawPointer) -> Int {
        (pointer - 8).load(as: Int.self)
    }

    /// Like `allocate(byteCount:)` for encoding, where the arena has no budget.
    @inline(__always)
    func allocateForEncoding(byteCount: Int) -> UnsafeMutableRawPointer {
        guard let pointer = allocate(byteCount: byteCount) else { fatalError("out of memory") }
        return pointer
    }

    private func growChunk(toFit size: Int) -> Bool {
        let needed = size + Self.chunkHeader
        let available = state.pointee.budget - state.pointee.allocatedBytes
        guard needed <= available else {
            state.pointee.budgetExceeded = true
            return false
        }
        // Each chunk doubles the arena, so a large message needs few chunks.
        let wanted = max(Self.standardChunkSize, needed, state.pointee.allocatedBytes)
        let chunkSize = min(wanted, available)
        guard let chunk = Self.takeChunk(size: chunkSize) else {
            state.pointee.budgetExceeded = true
            return false
        }
        chunk.storeBytes(of: state.pointee.lastChunk, as: UnsafeMutableRawPointer?.self)
        chunk.storeBytes(of: chunkSize, toByteOffset: 8, as: Int.self)
        state.pointee.lastChunk = chunk
        state.pointee.allocatedBytes += chunkSize
        state.pointee.cursor = chunk + Self.chunkHeader
        state.pointee.remaining = chunkSize - Self.chunkHeader
        return true
    }

    private static func takeChunk(size: Int) -> UnsafeMutableRawPointer? {
        if size == standardChunkSize, let cached = ChunkCache.forCurrentThread.pointee.take() {
            return cached
        }
        return malloc(size)
    }

    /// Frees `chunk`, or keeps it for this thread's next arena: an arena usually ends on the
    /// thread it began on, and one that does not only moves a chunk to another thread's cache.
    static func releaseChunk(_ chunk: UnsafeMutableRawPointer) {
        if chunk.load(fromByteOffset: 8, as: Int.self) == standardChunkSize,
            ChunkCache.forCurrentThread.pointee.keep(chunk)
        {
            return
        }
        free(chunk)
    }
}
