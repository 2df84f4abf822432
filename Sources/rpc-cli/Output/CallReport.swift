import BatonProtos
import BatonRPC
import Foundation

/// `-v`: what went over the wire besides the messages, on stderr, like `grpcurl -v`: the method,
/// the request metadata, the response headers and trailers, and the status with its details.
final class CallReport: @unchecked Sendable {
    // Used from the one task running the call.
    private let enabled: Bool
    private let method: ProtoMethodSchema
    private var received = 0
    private var headersShown = false

    init(enabled: Bool, method: ProtoMethodSchema) {
        self.enabled = enabled
        self.method = method
    }

    func started(metadata: RPCMetadata) {
        guard enabled else { return }
        Terminal.printError("Calling \(method.path) (\(method.kind.readableName))")
        Terminal.printError(Self.section("Request metadata", metadata))
    }

    /// Shows the response headers before the first response message.
    func received(on call: RPCClientCall) async {
        received += 1
        guard enabled, !headersShown else { return }
        headersShown = true
        Terminal.printError(Self.section("Response headers", (try? await call.initialMetadata) ?? [:]))
    }

    func finished(sent: Int?, trailers: RPCMetadata, error: RPCError?) {
        guard enabled else { return }
        if !headersShown {
            headersShown = true
            Terminal.printError("Response headers: none before the end")
        }
        Terminal.printError(Self.section("Response trailers", trailers))
        if let error {
            Terminal.printError("Status: \(error.code.name) (\(error.code.rawValue)): \(error.message)")
            for detail in error.details {
                Terminal.printError("  detail \(detail.type): \(ErrorReport.detailJSON(detail))")
            }
        } else {
            Terminal.printError("Status: OK")
        }
        let requests = sent.map { "Sent \($0) request\($0 == 1 ? "" : "s"); r" } ?? "R"
        Terminal.printError("\(requests)eceived \(received) response\(received == 1 ? "" : "s").")
    }

    private static func section(_ title: String, _ metadata: RPCMetadata) -> String {
        let entries = Array(metadata)
        guard !entries.isEmpty else { return "\(title): none" }
        let lines = entries.map { entry -> String in
            switch entry.value {
            case .text(let text): "  \(entry.key): \(text)"
            case .binary(let bytes): "  \(entry.key): \(Data(bytes).base64EncodedString()) (binary)"
            }
        }
        return "\(title):\n" + lines.joined(separator: "\n")
    }
}

extension ProtoMethodKind {
    var readableName: String {
        switch self {
        case .unary: "unary"
        case .serverStreaming: "server streaming"
        case .clientStreaming: "client streaming"
        case .bidirectionalStreaming: "bidirectional streaming"
        }
    }
}
