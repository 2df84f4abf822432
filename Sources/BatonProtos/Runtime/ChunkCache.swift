#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded stack of spare arena chunks, linked through their first word as in an arena.
///
/// Each thread has its own (`ChunkCache.forCurrentThread`), so a decode on an event loop reuses
/// the chunk the previous decode on that loop released without taking a lock, and the memory
/// kept is at most `limit` chunks per thread, freed when the thread exits.
struct ChunkCache {
    let limit: Int
    private(set) var count = 0
    private var newest: UnsafeMutableRawPointer? = nil

    init(limit: Int) {
        self.limit = limit
    }

    /// The chunk kept last, which is the likeliest to be in the CPU's cache.
    mutating func take() -> UnsafeMutableRawPointer? {
        guard let chunk = newest else { return nil }
        newest = chunk.load(as: UnsafeMutableRawPointer?.self)
        count -= 1
        return chunk
    }

    /// Keeps `chunk` for a later `take()`; false when the cache is full and the caller must free it.
    mutating func keep(_ chunk: UnsafeMutableRawPointer) -> Bool {
        guard count < limit else { return false }
        chunk.storeBytes(of: newest, as: UnsafeMutableRawPointer?.self)
        newest = chunk
        count += 1
        return true
    }

    mutating func freeAll() {
        while let chunk = take() {
            free(chunk)
        }
    }

    /// Enough for the arenas one thread has alive at once (a decode, the encode of its reply).
    static let limitPerThread = 4

    private static let perThread = ThreadSpecificPointer { value in
        // A thread that exits gives its chunks back to malloc. (The parameter is optional on
        // glibc only; pthreads never passes nil.)
        let pointer: UnsafeMutableRawPointer? = value
        guard let cache = pointer?.assumingMemoryBound(to: ChunkCache.self) else { return }
        cache.pointee.freeAll()
        cache.deinitialize(count: 1)
        cache.deallocate()
    }

    /// The calling thread's cache, created on its first use.
    static var forCurrentThread: UnsafeMutablePointer<ChunkCache> {
        if let existing = perThread.current {
            return existing.assumingMemoryBound(to: ChunkCache.self)
        }
        let cache = UnsafeMutablePointer<ChunkCache>.allocate(capacity: 1)
        cache.initialize(to: ChunkCache(limit: limitPerThread))
        perThread.current = UnsafeMutableRawPointer(cache)
        return cache
    }
}
