import BatonProtos
import BatonRPC
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The wire format written by hand, independently of the library's encoder, so the tests pin
/// down the bytes a client in another language would send.
enum Wire {
    static let headers: UInt8 = 1
    static let message: UInt8 = 2
    static let closeSend: UInt8 = 3
    static let trailers: UInt8 = 4
    static let cancel: UInt8 = 5
    static let ping: UInt8 = 6
    static let goAway: UInt8 = 7
    static let settings: UInt8 = 8
    static let windowUpdate: UInt8 = 9
    static let ackFlag: UInt8 = 1

    /// "BATONRPC" and version 1, big-endian.
    static let preface: [UInt8] = Array("BATONRPC".utf8) + [0, 1]

    /// A frame header: payload length, stream id (both u32 big-endian), type, flags.
    static func header(length: UInt32, stream: UInt32, type: UInt8, flags: UInt8 = 0) -> [UInt8] {
        bigEndian(length) + bigEndian(stream) + [type, flags]
    }

    static func frame(stream: UInt32, type: UInt8, flags: UInt8 = 0, payload: [UInt8] = []) -> [UInt8] {
        header(length: UInt32(payload.count), stream: stream, type: type, flags: flags) + payload
    }

    /// HEADERS opening a call to `method`.
    static func open(stream: UInt32, method: String, timeoutMicros: UInt64 = 0) -> [UInt8] {
        var headers = Baton_Rpc_V1_CallHeaders()
        headers.method = method
        headers.timeoutMicros = timeoutMicros
        return frame(stream: stream, type: Self.headers, payload: try! headers.serializedBytes())
    }

    /// HEADERS opening a call to `method` with one metadata entry, as given (not validated).
    static func openWithMetadata(
        stream: UInt32,
        method: String,
        key: String,
        value: Baton_Rpc_V1_MetadataEntry.OneOf_Value
    ) -> [UInt8] {
        var headers = Baton_Rpc_V1_CallHeaders()
        headers.method = method
        var entry = Baton_Rpc_V1_MetadataEntry()
        entry.key = key
        entry.value = value
        headers.metadata = [entry]
        return frame(stream: stream, type: Self.headers, payload: try! headers.serializedBytes())
    }

    /// A whole call with one request: HEADERS, MESSAGE, CLOSE_SEND.
    static func call(stream: UInt32, method: String, request: [UInt8], timeoutMicros: UInt64 = 0) -> [UInt8] {
        open(stream: stream, method: method, timeoutMicros: timeoutMicros)
            + frame(stream: stream, type: message, payload: request)
            + frame(stream: stream, type: closeSend)
    }

    /// SETTINGS granting `window` messages per call.
    static func settingsFrame(window: UInt32) -> [UInt8] {
        var settings = Baton_Rpc_V1_Settings()
        settings.initialWindowMessages = window
        return frame(stream: 0, type: Self.settings, payload: try! settings.serializedBytes())
    }

    /// WINDOW_UPDATE granting `messages` more on `stream`.
    static func windowUpdateFrame(stream: UInt32, messages: UInt32) -> [UInt8] {
        var update = Baton_Rpc_V1_WindowUpdate()
        update.messages = messages
        return frame(stream: stream, type: windowUpdate, payload: try! update.serializedBytes())
    }

    /// A Health/Check of the whole server (an empty request) on `stream`.
    static func healthCheck(stream: UInt32) -> [UInt8] {
        call(stream: stream, method: "/baton.rpc.v1.Health/Check", request: [])
    }

    static func bigEndian<Integer: FixedWidthInteger>(_ value: Integer) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian, Array.init)
    }
}

/// A frame as the server sent it.
struct WireFrame: Sendable, Hashable, CustomStringConvertible {
    var stream: UInt32
    var type: UInt8
    var flags: UInt8
    var payload: [UInt8]

    var description: String { "frame(type \(type), stream \(stream), flags \(flags), \(payload.count) bytes)" }

    /// The payload decoded as an envelope message.
    func decoded<Message: ProtoMessage>(as type: Message.Type) throws -> Message {
        try Message(serializedBytes: payload)
    }

    /// The status of a TRAILERS frame.
    var status: (code: RPCError.Code, message: String)? {
        guard type == Wire.trailers, let trailers = try? decoded(as: Baton_Rpc_V1_Trailers.self) else { return nil }
        let status = trailers.status ?? Baton_Rpc_V1_Status()
        return (RPCError.Code(rawValue: status.code.rawValue), status.message)
    }

    /// The code and reason of a GOAWAY frame.
    var goAway: (code: RPCError.Code, reason: String, lastStreamID: UInt32)? {
        guard type == Wire.goAway, let goAway = try? decoded(as: Baton_Rpc_V1_GoAway.self) else { return nil }
        return (RPCError.Code(rawValue: goAway.code.rawValue), goAway.reason, goAway.lastStreamID)
    }
}

/// A client socket speaking raw bytes, for inputs the real client would never send.
///
/// Reads block (with a receive timeout, so a silent server fails the test instead of hanging it)
/// on a thread pool of their own, away from Swift's cooperative threads. One task at a time uses
/// a connection.
final class RawConnection: Sendable {
    private static let readers: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    /// How long a read waits for the server before the test gives up on it.
    static let patienceSeconds = 5

    enum Event: Sendable, Equatable {
        case frame(WireFrame)
        case closed
    }

    private let descriptor: Int32
    private let isClosed = Atomic(false)
    /// Bytes received and not yet parsed; whether the server's preface was seen.
    private let input = Mutex<(bytes: [UInt8], sawPreface: Bool)>(([], false))

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close()
    }

    /// Closes the socket, as a client that goes away would.
    func close() {
        if !isClosed.exchange(true, ordering: .relaxed) { Glibc.close(descriptor) }
    }

    /// Connects to the server at `socketPath`.
    static func connect(to socketPath: String) throws -> RawConnection {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        let connection = RawConnection(descriptor: descriptor)
        var timeout = timeval(tv_sec: patienceSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: socketPath.utf8.prefix($0.count - 1)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw TestFailure("connect \(socketPath): \(String(cString: strerror(errno)))") }
        return connection
    }

    /// Writes `bytes`; false when the server had already closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Writes `bytes` unless the socket stays full for `patienceMillis`: false then (the server
    /// has stopped reading), or when the server closed the connection.
    func sendUnlessFull(_ bytes: [UInt8], patienceMillis: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written >= 0 {
                offset += written
                continue
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
            var writable = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            if poll(&writable, 1, patienceMillis) == 0 { return false }
        }
        return true
    }

    /// Tells the server no more bytes follow (EOF on its side).
    func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// The next frame from the server, or `.closed` at EOF. Checks the server's preface first.
    func next() async throws -> Event {
        try await Self.readers.runIfActive { try self.nextBlocking() }
    }

    /// Reads until a frame matches `isLast` (returned last) and returns every frame read.
    func frames(through isLast: @escaping @Sendable (WireFrame) -> Bool) async throws -> [WireFrame] {
        try await Self.readers.runIfActive {
            var frames: [WireFrame] = []
            while true {
                switch try self.nextBlocking() {
                case .frame(let frame):
                    frames.append(frame)
                    if isLast(frame) { return frames }
                case .closed:
                    throw TestFailure("the server closed the connection; frames so far: \(frames)")
                }
            }
        }
    }

    /// Reads until the server closes the connection and returns every frame it sent.
    func framesUntilClosed() async throws -> [WireFrame] {
        try await Self.readers.runIfActive {
            var frames: [WireFrame] = []
            while case .frame(let frame) = try self.nextBlocking() { frames.append(frame) }
            return frames
        }
    }

    private func nextBlocking() throws -> Event {
        try input.withLock { input in
            if !input.sawPreface {
                guard try fill(&input.bytes, count: Wire.preface.count) else { return .closed }
                guard input.bytes.prefix(8).elementsEqual("BATONRPC".utf8) else {
                    throw TestFailure("the server's first bytes are not the preface: \(input.bytes.prefix(10))")
                }
                input.bytes.removeFirst(Wire.preface.count)
                input.sawPreface = true
            }
            guard try fill(&input.bytes, count: 10) else { return .closed }
            let length = input.bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
            let stream = input.bytes[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard try fill(&input.bytes, count: 10 + length) else { return .closed }
            let frame = WireFrame(
                stream: stream,
                type: input.bytes[8],
                flags: input.bytes[9],
                payload: Array(input.bytes[10..<(10 + length)])
            )
            input.bytes.removeFirst(10 + length)
            return .frame(frame)
        }
    }

    /// Reads until `bytes` holds `count` bytes; false when the connection ends first.
    private func fill(_ bytes: inout [UInt8], count: Int) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < count {
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                bytes += chunk[0..<received]
            } else if received == 0 || errno == ECONNRESET {
                return false
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw TestFailure(
                    "no answer within \(Self.patienceSeconds) s (waiting for \(count) bytes, have \(bytes.count))"
                )
            } else if errno != EINTR {
                throw TestFailure("recv: \(String(cString: strerror(errno)))")
            }
        }
        return true
    }
}

/// The server's first frames on a new connection are its SETTINGS; reads them.
extension RawConnection {
    /// Sends a PING and counts the MESSAGE frames that arrive before its answer.
    func messagesBeforePingAnswer() async throws -> Int {
        send(Wire.frame(stream: 0, type: Wire.ping, payload: Array(repeating: 7, count: 8)))
        let frames = try await frames { $0.type == Wire.ping && $0.flags & Wire.ackFlag != 0 }
        return frames.filter { $0.type == Wire.message }.count
    }

    func settings() async throws -> Baton_Rpc_V1_Settings {
        guard case .frame(let frame) = try await next(), frame.type == Wire.settings else {
            throw TestFailure("the server did not start with SETTINGS")
        }
        return try frame.decoded(as: Baton_Rpc_V1_Settings.self)
    }
}
