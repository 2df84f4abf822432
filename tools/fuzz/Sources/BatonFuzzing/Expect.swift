/// Ends the process with `message` when `condition` is false. Unlike `precondition`, it prints the
/// message in release builds, which the fuzzers are.
public func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
