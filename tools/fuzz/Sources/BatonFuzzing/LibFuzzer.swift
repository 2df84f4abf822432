import CBatonLibFuzzer

/// One input in, 0 out (libFuzzer's `LLVMFuzzerTestOneInput`).
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

/// Runs libFuzzer over `target` with the process's arguments (corpus folders, `-max_total_time`,
/// inputs to replay ...) and returns its exit status.
public func runLibFuzzer(_ target: FuzzTarget) -> Int32 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, target)
}
