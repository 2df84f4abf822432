import BatonProtos
import BatonRPC
import Testing

/// A batond's Health/Watch stream of the whole server's status, read a change at a time.
struct HealthWatch {
    private var statuses: RPCResponseStream<Baton_Rpc_V1_HealthCheckResponse>.AsyncIterator

    /// Opens the watch; throws when the batond cannot be reached.
    init(on host: Host) async throws {
        statuses = try await host.client.serverStreaming(
            "/baton.rpc.v1.Health/Watch",
            Baton_Rpc_V1_HealthCheckRequest(),
            as: Baton_Rpc_V1_HealthCheckResponse.self,
            timeout: .seconds(120)
        ).makeAsyncIterator()
    }

    /// Waits until the status is `wanted` (the first status the watch sends is the current one).
    mutating func next(_ wanted: Baton_Rpc_V1_ServingStatus) async throws {
        while let response = try await statuses.next() {
            if response.status == wanted { return }
        }
        throw RPCError(.unavailable, "the health watch ended before the status was \(wanted)")
    }
}
