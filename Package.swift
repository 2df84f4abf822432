// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "baton",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BatonProtos", targets: ["BatonProtos"]),
        .executable(name: "rpc-cli", targets: ["rpc-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0")
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
        .executableTarget(
            name: "rpc-cli",
            dependencies: [
                "BatonProtos",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "baton-codec-benchmark",
            dependencies: ["BatonProtos", "CBatonCodecBaseline"],
            path: "tools/benchmarks/codec-benchmark"
        ),
        // The raw C side of the codec benchmark: protobuf-c pack/unpack with nothing around it.
        .target(
            name: "CBatonCodecBaseline",
            dependencies: ["CBatonProtos"],
            path: "tools/benchmarks/codec-baseline"
        ),
        .testTarget(
            name: "BatonProtosTests",
            dependencies: ["BatonProtos"]
        ),
    ]
)
