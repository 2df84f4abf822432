#if canImport(Glibc)
import Glibc
#endif

/// Where batond listens unless told otherwise, and so where clients look for it.
public enum BatonSocketPath {
    /// `$BATON_SOCKET`; else `/run/baton/batond.sock` as root; else
    /// `$XDG_RUNTIME_DIR/baton/batond.sock`; else a per-user folder under /tmp.
    public static var `default`: String {
        if let path = environment("BATON_SOCKET") { return path }
        if getuid() == 0 { return "/run/baton/batond.sock" }
        if let runtime = environment("XDG_RUNTIME_DIR") { return "\(runtime)/baton/batond.sock" }
        return "/tmp/baton-\(getuid())/batond.sock"
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
