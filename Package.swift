// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "baton",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BatonProtos", targets: ["BatonProtos"]),
        // For tools/fuzz, its own package, which drives the real server in-process.
        .library(name: "BatonRPC", targets: ["BatonRPC"]),
        .library(name: "Baton", targets: ["Baton"]),
        .library(name: "BatonStore", targets: ["BatonStore"]),
        .library(name: "BatonPostgres", targets: ["BatonPostgres"]),
        .library(name: "BatonServer", targets: ["BatonServer"]),
        .executable(name: "rpc-cli", targets: ["rpc-cli"]),
        .executable(name: "batond", targets: ["batond"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.25.0"),
    ],
    targets: [
        // The system protobuf-c runtime, via pkg-config.
        .systemLibrary(
            name: "CBatonProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        // protoc-c output for Protos/ and its descriptor index; tools/generate.sh writes it all.
        .target(
            name: "CBatonProtos",
            dependencies: ["CBatonProtobufC"]
        ),
        // Swift values for every message, converted through protobuf-c; the only module that
        // imports the C modules.
        .target(
            name: "BatonProtos",
            dependencies: ["CBatonProtobufC", "CBatonProtos"]
        ),
        // Framing, server and client over SwiftNIO; knows nothing about chats.
        .target(
            name: "BatonRPC",
            dependencies: [
                "BatonProtos",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The chat-handoff domain: reps, teams, chats, transfers and the event log, written against
        // a store protocol so the SQLite backend can be swapped for a shared one.
        .target(
            name: "Baton",
            dependencies: ["BatonProtos"]
        ),
        // The embedded store: SQLite in WAL mode through GRDB.
        .target(
            name: "BatonStore",
            dependencies: ["Baton", "BatonProtos", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The shared store: PostgreSQL through PostgresNIO, for several batonds on one database.
        .target(
            name: "BatonPostgres",
            dependencies: [
                "Baton",
                "BatonProtos",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Service implementations wired into BatonRPC.
        .target(
            name: "BatonServer",
            dependencies: [
                "Baton",
                "BatonProtos",
                "BatonRPC",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "batond",
            dependencies: [
                "Baton",
                "BatonProtos",
                "BatonRPC",
                "BatonPostgres",
                "BatonServer",
                "BatonStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "rpc-cli",
            dependencies: [
                "BatonProtos",
                "BatonRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "baton-codec-benchmark",
            dependencies: ["BatonProtos", "CBatonCodecBaseline"],
            path: "tools/benchmarks/codec-benchmark"
        ),
        .executableTarget(
            name: "baton-rpc-benchmark",
            dependencies: [
                "BatonProtos",
                "BatonRPC",
                "BatonServer",
                "CBatonRPCBaseline",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "tools/benchmarks/rpc-benchmark"
        ),
        .executableTarget(
            name: "baton-transfer-benchmark",
            dependencies: [
                "Baton",
                "BatonProtos",
                "BatonStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "tools/benchmarks/transfer-benchmark"
        ),
        .executableTarget(
            name: "baton-availability-benchmark",
            dependencies: ["Baton", "BatonProtos", "BatonStore"],
            path: "tools/benchmarks/availability-benchmark"
        ),
        // The client of tools/benchmarks/postgres-transfer.sh: batonds sharing PostgreSQL, over
        // their sockets.
        .executableTarget(
            name: "baton-postgres-benchmark",
            dependencies: ["Baton", "BatonProtos", "BatonRPC"],
            path: "tools/benchmarks/postgres-benchmark"
        ),
        // The floor of the RPC benchmark: a raw C ping-pong over a Unix socket.
        .target(
            name: "CBatonRPCBaseline",
            path: "tools/benchmarks/rpc-baseline"
        ),
        // The raw C side of the codec benchmark: protobuf-c pack/unpack with nothing around it.
        .target(
            name: "CBatonCodecBaseline",
            dependencies: ["CBatonProtos"],
            path: "tools/benchmarks/codec-baseline"
        ),
        // What the tests that run real processes share: a child-process runner, the built
        // executables, batond on a temporary socket.
        .target(
            name: "BatonTestSupport",
            dependencies: ["BatonRPC"],
            path: "Tests/BatonTestSupport"
        ),
        .testTarget(
            name: "BatonProtosTests",
            dependencies: ["BatonProtos", "BatonTestSupport", "rpc-cli"]
        ),
        .testTarget(
            name: "BatonServerTests",
            dependencies: [
                // Built so the kill-and-restart test can run the real daemon.
                "batond",
                "Baton",
                "BatonProtos",
                "BatonRPC",
                // The contract suites run on both engines.
                "BatonPostgres",
                "BatonServer",
                "BatonStore",
                "BatonTestSupport",
                // Retention tests count the rows the store leaves behind.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "BatonRPCTests",
            dependencies: [
                "batond",
                "BatonRPC",
                "BatonTestSupport",
                "BatonServer",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The PostgreSQL engine against a real server: replay, locks, sequences, outages.
        .testTarget(
            name: "BatonPostgresTests",
            dependencies: [
                // Built so the flag and exit-code tests can run the real daemon.
                "batond",
                "Baton",
                "BatonPostgres",
                "BatonProtos",
                "BatonTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // rpc-cli against a real batond, the README walkthrough, and the example clients.
        .testTarget(
            name: "BatonCLITests",
            dependencies: ["batond", "rpc-cli", "BatonProtos", "BatonRPC", "BatonTestSupport"]
        ),
    ]
)
