/// What `--version` prints for batond and rpc-cli: the release, and a fingerprint of the schema
/// each was built with, so an operator sees at a glance whether the two agree.
public enum BatonVersion {
    /// The release of this source tree.
    public static let release = "0.1.0"

    /// The first 12 hex digits of the FNV-1a hash of the embedded FileDescriptorSet: equal for
    /// two builds exactly when their schemas (comments included) are, short enough to compare by eye.
    public static let schemaFingerprint: String = {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in BatonSchema.fileDescriptorSet {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }()

    /// `rpc-cli 0.1.0 (schema 3f9a0c1d2e4b)`.
    public static func line(for program: String) -> String {
        "\(program) \(release) (schema \(schemaFingerprint))"
    }
}
