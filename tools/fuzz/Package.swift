// swift-tools-version:6.0
import Foundation
import PackageDescription

/// A path dependency is known by its folder's name, which is the checkout's (or worktree's).
let baton = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
    .standardizedFileURL.lastPathComponent

// libFuzzer targets for Baton, built with `-sanitize=fuzzer` (tools/fuzz.sh), which links
// libFuzzer: each target's main.swift hands its `LLVMFuzzerTestOneInput` to libFuzzer's driver.
let package = Package(
    name: "baton-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CBatonLibFuzzer"),
        // What the targets share: libFuzzer's driver, the real server in-process on a temporary
        // store, a blocking bridge from libFuzzer's synchronous callback to async code, and the
        // input selector.
        .target(
            name: "BatonFuzzing",
            dependencies: [
                "CBatonLibFuzzer",
                .product(name: "Baton", package: baton),
                .product(name: "BatonProtos", package: baton),
                .product(name: "BatonRPC", package: baton),
                .product(name: "BatonServer", package: baton),
                .product(name: "BatonStore", package: baton),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Arbitrary bytes through the frame decoder, whole and in chunks.
        .executableTarget(
            name: "fuzz-frames",
            dependencies: [
                "BatonFuzzing",
                .product(name: "BatonRPC", package: baton),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // Arbitrary bytes as a whole connection to the real server: preface, frames, calls.
        .executableTarget(name: "fuzz-connection", dependencies: ["BatonFuzzing"]),
        // A routed method and raw request bytes, through the real handlers and store.
        .executableTarget(
            name: "fuzz-requests",
            dependencies: ["BatonFuzzing", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Arbitrary bytes through the protobuf-c decode path and the proto3 JSON decoder.
        .executableTarget(
            name: "fuzz-codec",
            dependencies: ["BatonFuzzing", .product(name: "BatonProtos", package: baton)]
        ),
    ]
)
