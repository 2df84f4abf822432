// swift-tools-version:6.0
// The Swift code generator for Baton's schema. A separate package so that the product's build
// never depends on it: `tools/generate.sh` builds and runs it.
import PackageDescription

let package = Package(
    name: "baton-codegen",
    targets: [
        // protoc-c output for google/protobuf/descriptor.proto, so the generator reads protoc's
        // FileDescriptorSet with protobuf-c itself and needs no other protobuf runtime.
        .target(
            name: "CBatonCodegenDescriptor",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .executableTarget(
            name: "baton-codegen",
            dependencies: ["CBatonCodegenDescriptor"]
        ),
    ]
)
