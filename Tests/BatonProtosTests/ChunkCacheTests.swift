@testable import BatonProtos
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Arena chunks are recycled per thread without a lock: a decode reuses the chunk the previous
/// one on its thread released, a thread keeps at most a few, and what it keeps goes when it exits.
@Suite struct ChunkCacheTests {
    @Test func theChunkKeptLastIsTakenFirst() {
        var cache = ChunkCache(limit: 2)
        let older = malloc(64)!
        let newer = malloc(64)!
        let kept = [cache.keep(older), cache.keep(newer)]
        let taken = [cache.take(), cache.take(), cache.take()]
        #expect(kept == [true, true])
        #expect(taken == [newer, older, nil])
        free(older)
        free(newer)
    }

    @Test func aFullCacheLeavesTheChunkToTheCaller() {
        var cache = ChunkCache(limit: 2)
        let chunks = (0..<3).map { _ in malloc(64)! }
        let kept = chunks.map { cache.keep($0) }
        #expect(kept == [true, true, false])
        #expect(cache.count == 2)
        cache.freeAll()
        free(chunks[2])
        #expect(cache.count == 0)
        let taken = cache.take()
        #expect(taken == nil)
    }

    @Test func arenasEndingOnAThreadLeaveItAtMostTheLimitAndTheNextArenaReusesOne() {
        // More arenas alive at once than a thread keeps chunks for.
        var arenas: [Arena]? = (0..<ChunkCache.limitPerThread + 3).map { _ in Arena() }
        for arena in arenas! {
            #expect(arena.allocator.allocate(byteCount: 1) != nil)
        }
        arenas = nil
        let cache = ChunkCache.forCurrentThread
        #expect(cache.pointee.count == ChunkCache.limitPerThread)

        var next: Arena? = Arena()
        #expect(next!.allocator.allocate(byteCount: 1) != nil)
        #expect(cache.pointee.count == ChunkCache.limitPerThread - 1)
        next = nil
        #expect(cache.pointee.count == ChunkCache.limitPerThread)
    }

    @Test func decodesOnManyThreadsAtOnceKeepTheirOwnMemory() async throws {
        let message = {
            var message = Repeateds()
            message.stringValues = (0..<200).map { "value \($0) of a message decoded concurrently" }
            return message
        }()
        let wire = try message.serializedBytes()
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mismatches = 0
                    for _ in 0..<200 {
                        let decoded = try? Repeateds(serializedBytes: wire)
                        if decoded != message || (try? decoded?.serializedBytes()) != wire { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    #if canImport(Glibc)
    @Test func aThreadsPointerGoesToTheDestructorWhenTheThreadExits() throws {
        let marker = UInt(0x5EED)
        var key = ThreadSpecificPointer { value in
            let pointer: UnsafeMutableRawPointer? = value
            destroyedThreadValues.withLock { $0.append(UInt(bitPattern: pointer)) }
        }
        #expect(key.current == nil)
        var thread = pthread_t()
        let created = pthread_create(
            &thread,
            nil,
            { key in
                let key = key!.load(as: ThreadSpecificPointer.self)
                key.current = UnsafeMutableRawPointer(bitPattern: 0x5EED)
                return nil
            },
            &key
        )
        try #require(created == 0)
        #expect(pthread_join(thread, nil) == 0)
        #expect(destroyedThreadValues.withLock { $0 } == [marker])
        // Another thread's value is not this one's.
        #expect(key.current == nil)
    }
    #endif
}

/// What the destructor of the key in `aThreadsPointerGoesToTheDestructorWhenTheThreadExits` saw;
/// a C destructor cannot capture.
private let destroyedThreadValues = Mutex<[UInt]>([])
