import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store connects, from a libpq-style URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir&sslmode=...]`.
///
/// As with libpq, a `host` parameter that is a path names the folder of the server's Unix
/// socket (the file `.s.PGSQL.<port>` in it) and wins over the host of the authority; the port
/// defaults to 5432 and the database to the user's name. `sslmode` is `disable`, `prefer` (the
/// default over TCP) or `require`; a Unix socket never uses TLS.
public struct PostgresURL: Sendable, CustomStringConvertible {
    public var user: String
    /// Never logged or printed: `description` masks it.
    var password: String?
    public var host: String
    public var port: Int
    /// The folder of the server's Unix socket, when connecting through one.
    public var socketFolder: String?
    public var database: String
    public var sslMode: SSLMode

    public enum SSLMode: String, Sendable {
        case disable, prefer, require
    }

    public init(_ text: String) throws(PostgresURLError) {
        let rest: Substring
        if text.hasPrefix("postgres://") {
            rest = text.dropFirst("postgres://".count)
        } else if text.hasPrefix("postgresql://") {
            rest = text.dropFirst("postgresql://".count)
        } else {
            throw PostgresURLError("it must start with postgres:// or postgresql://")
        }
        let (beforeQuery, query) = Self.split(rest, at: "?")
        let (authority, path) = Self.split(beforeQuery, at: "/")
        guard let atSign = authority.lastIndex(of: "@") else {
            throw PostgresURLError("it names no user (postgres://USER@HOST/DATABASE)")
        }
        let (encodedUser, encodedPassword) = Self.split(authority[..<atSign], at: ":")
        user = try Self.decode(encodedUser, "user")
        guard !user.isEmpty else { throw PostgresURLError("its user is empty") }
        password = nil
        if let encodedPassword { password = try Self.decode(encodedPassword, "password") }
        let hostPort = authority[authority.index(after: atSign)...]
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw PostgresURLError("its IPv6 host lacks a ]") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw PostgresURLError("its host is followed by something else than :PORT") }
                portText = after.dropFirst()
            }
        } else {
            let (name, port) = Self.split(hostPort, at: ":")
            host = try Self.decode(name, "host")
            portText = port
        }
        port = 5432
        if let portText { port = try Self.port(portText) }
        database = ""
        if let path { database = try Self.decode(path, "database") }
        if database.isEmpty { database = user }
        sslMode = .prefer
        var explicitSSLMode = false
        for parameter in (query ?? "").split(separator: "&") {
            let (name, value) = Self.split(parameter, at: "=")
            let decoded = try Self.decode(value ?? "", String(name))
            switch name {
            case "host":
                if decoded.hasPrefix("/") { socketFolder = decoded } else { host = decoded }
            case "port":
                port = try Self.port(Substring(decoded))
            case "sslmode":
                guard let mode = SSLMode(rawValue: decoded) else {
                    throw PostgresURLError("its sslmode must be disable, prefer or require")
                }
                sslMode = mode
                explicitSSLMode = true
            default:
                throw PostgresURLError("its parameter \(name) is not supported (host, port, sslmode are)")
            }
        }
        if socketFolder != nil {
            guard !explicitSSLMode || sslMode != .require else {
                throw PostgresURLError("sslmode=require cannot be used over a Unix socket")
            }
            sslMode = .disable
        } else if host.isEmpty {
            throw PostgresURLError("it names no host (a name, an address, or ?host=/socket/folder)")
        }
    }

    /// The URL with its password masked, for logs.
    public var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let authority = socketFolder == nil ? (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)") : ""
        let socket = socketFolder.map { "?host=\($0)" + (port == 5432 ? "" : "&port=\(port)") } ?? ""
        return "postgres://\(credentials)@\(authority)/\(database)\(socket)"
    }

    /// The client configuration: a Unix socket when the URL names a socket folder, else TCP.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        if let socketFolder {
            return PostgresClient.Configuration(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)",
                username: user,
                password: password,
                database: database
            )
        }
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        return PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tls
        )
    }

    /// The same place as a single connection's configuration, for the LISTEN connection.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let socketFolder {
            return PostgresConnection.Configuration(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)",
                username: user,
                password: password,
                database: database
            )
        }
        let tls: PostgresConnection.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        return PostgresConnection.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tls
        )
    }

    private static func split(_ text: Substring, at separator: Character) -> (Substring, Substring?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (text[..<index], text[text.index(after: index)...])
    }

    private static func decode(_ text: Substring, _ part: String) throws(PostgresURLError) -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw PostgresURLError("its \(part) has a malformed %-escape")
        }
        return decoded
    }

    private static func port(_ text: Substring) throws(PostgresURLError) -> Int {
        guard let port = Int(text), (1...65_535).contains(port) else {
            throw PostgresURLError("its port must be a number from 1 to 65535")
        }
        return port
    }
}

/// A PostgreSQL URL that cannot be used. The description says why, never with the password.
public struct PostgresURLError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ problem: String) { description = "the PostgreSQL URL is malformed: \(problem)" }
}
