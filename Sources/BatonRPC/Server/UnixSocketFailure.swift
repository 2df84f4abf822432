/// Why `RPCServer.start()` could not prepare its socket path, for the operator.
public struct UnixSocketFailure: Error, Sendable, CustomStringConvertible {
    /// What the operator has to do about it. A struct over a private enum so that new reasons do
    /// not break callers.
    public struct Reason: Hashable, Sendable {
        private enum Wrapped: Hashable, Sendable {
            case pathTooLong, inUse, cannotCreate
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The path does not fit a Unix socket address (107 bytes): choose a shorter one.
        public static let pathTooLong = Reason(.pathTooLong)
        /// Another server is listening on the path.
        public static let inUse = Reason(.inUse)
        /// The socket or its folder cannot be created there: permissions, a read-only file
        /// system, a file that is not a socket in the way.
        public static let cannotCreate = Reason(.cannotCreate)
    }

    public var reason: Reason
    public var description: String

    init(_ reason: Reason, _ description: String) {
        self.reason = reason
        self.description = description
    }
}
