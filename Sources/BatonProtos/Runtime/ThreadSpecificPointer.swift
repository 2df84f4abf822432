#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One raw pointer per thread under a pthread key, handed to a destructor when its thread exits.
///
/// Swift has no thread-local storage of its own, and BatonProtos does not depend on NIO (whose
/// `ThreadSpecificVariable` boxes a class and so costs reference counting on every access).
struct ThreadSpecificPointer: @unchecked Sendable {
    #if canImport(Darwin)
    typealias Destructor = @convention(c) (UnsafeMutableRawPointer) -> Void
    #else
    typealias Destructor = @convention(c) (UnsafeMutableRawPointer?) -> Void
    #endif

    private let key: pthread_key_t

    /// A key is never deleted: create one per use for the life of the process, not per value.
    init(destructor: Destructor) {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, destructor)
        precondition(status == 0, "pthread_key_create failed: \(status)")
        self.key = key
    }

    /// The calling thread's pointer, nil until the thread sets one.
    var current: UnsafeMutableRawPointer? {
        get { pthread_getspecific(key) }
        nonmutating set {
            let status = pthread_setspecific(key, newValue)
            precondition(status == 0, "pthread_setspecific failed: \(status)")
        }
    }
}
