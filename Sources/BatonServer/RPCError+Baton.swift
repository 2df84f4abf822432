import Baton
import BatonProtos
import BatonRPC

extension RPCError {
    /// The wire form of a domain error: its status code, its ErrorInfo, and its specific detail.
    init(_ error: BatonError) {
        let code: RPCError.Code =
            switch error.code {
            case .invalidArgument: .invalidArgument
            case .notFound: .notFound
            case .failedPrecondition: .failedPrecondition
            case .permissionDenied: .permissionDenied
            case .aborted: .aborted
            case .outOfRange: .outOfRange
            case .resourceExhausted: .resourceExhausted
            case .unavailable: .unavailable
            case .internal: .internal
            }
        var rpcError = RPCError(code, error.message).adding(error.info)
        switch error.detail {
        case .badRequest(let detail): rpcError = rpcError.adding(detail)
        case .versionConflict(let detail): rpcError = rpcError.adding(detail)
        case .transferUnavailable(let detail): rpcError = rpcError.adding(detail)
        case .bookingConflict(let detail): rpcError = rpcError.adding(detail)
        case nil: break
        }
        self = rpcError
    }
}

/// Runs a domain call, turning its error into the RPC error the client sees.
func mapped<T>(_ body: () async throws(BatonError) -> T) async throws(RPCError) -> T {
    do {
        return try await body()
    } catch {
        throw RPCError(error)
    }
}

extension Caller {
    /// The caller of an RPC: its `request-id` metadata.
    init(_ context: RPCServerContext) {
        self.init(requestID: context.metadata["request-id"] ?? "")
    }
}
