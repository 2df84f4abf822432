internal import CBatonProtobufC

/// A message of Baton's schema as a Swift value. Generated from `Protos/`; converted to and from
/// protobuf-c structs, and so to and from the protobuf wire format and proto3 JSON.
public protocol ProtoMessage: Sendable, Hashable {
    /// The full proto name, e.g. `baton.v1.Chat`.
    static var protoMessageName: String { get }
    /// protobuf-c's descriptor of this message. Implementation detail of generated code.
    static var _protoDescriptor: ProtoMessageDescriptor { get }
    /// A message with every field at its default.
    init()
    /// Reads the message from an unpacked protobuf-c struct. Implementation detail of generated code.
    init(_protoReader reader: ProtoCReader) throws(ProtoCodecError)
    /// Writes the message into a protobuf-c struct. Implementation detail of generated code.
    func _protoWrite(to writer: ProtoCWriter) throws(ProtoCodecError)
    /// Why a value whose wire form was valid is still not a value of the message, nil when it is
    /// one: only the well-known types with a range (google.protobuf.Timestamp) say anything.
    /// Checked by every decode, so no field can carry an out-of-range value past the codec.
    var _protoRangeViolation: String? { get }
}

extension ProtoMessage {
    public var _protoRangeViolation: String? { nil }
}

/// An enum of Baton's schema. Numbers this build does not know are kept, not rejected, so a
/// newer peer's values survive a round trip.
public protocol ProtoEnum: Sendable, Hashable {
    /// The full proto name, e.g. `baton.v1.ChatState`.
    static var protoEnumName: String { get }
    init(rawValue: Int32)
    var rawValue: Int32 { get }
}

/// Heap storage for a message field that can contain its own type (a struct cannot contain
/// itself). Immutable, so the containing struct keeps value semantics.
public final class ProtoBox<Value: Hashable & Sendable>: Hashable, Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
    public static func == (lhs: ProtoBox, rhs: ProtoBox) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

extension ProtoMessage {
    /// Decodes the protobuf wire format with protobuf-c, within `options`' limits.
    public init(
        serializedBytes bytes: UnsafeRawBufferPointer,
        options: ProtoDecodingOptions = ProtoDecodingOptions()
    ) throws(ProtoCodecError) {
        let arena = Arena(budget: options.allocationBudget)
        let reader = try ProtoCodec.unpack(bytes, Self._protoDescriptor, arena: arena, options: options)
        self = try withExtendedLifetime(arena) { () throws(ProtoCodecError) in try Self(_protoReader: reader) }
        if let violation = _protoRangeViolation {
            throw ProtoCodecError(.invalidFieldValue, messageName: Self.protoMessageName, detail: violation)
        }
    }

    /// Decodes the protobuf wire format with protobuf-c, within `options`' limits.
    public init(
        serializedBytes bytes: some Collection<UInt8>,
        options: ProtoDecodingOptions = ProtoDecodingOptions()
    ) throws(ProtoCodecError) {
        // Decodes into `self` and keeps the error in a concrete type: a `Result<Self, …>` or a
        // `Self?` here would look up generic metadata at run time on every decode, which cost
        // more than a small message's whole unpack.
        self.init()
        var failure: ProtoCodecError?
        func decode(_ raw: UnsafeRawBufferPointer) {
            do throws(ProtoCodecError) {
                self = try Self(serializedBytes: raw, options: options)
            } catch {
                failure = error
            }
        }
        if bytes.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes(decode)
        }
        if let failure { throw failure }
    }

    /// Encodes the protobuf wire format with protobuf-c. Fails only for strings holding U+0000,
    /// which protobuf-c's NUL-terminated strings cannot carry.
    public func serializedBytes() throws(ProtoCodecError) -> [UInt8] {
        let packable = try ProtoPackable(self)
        return [UInt8](unsafeUninitializedCapacity: packable.byteCount) { buffer, count in
            packable.pack(into: UnsafeMutableRawBufferPointer(buffer))
            count = packable.byteCount
        }
    }
}

/// The protobuf-c calls shared by typed messages and the JSON mapping.
enum ProtoCodec {
    /// Unpacks `bytes` into `arena` and returns a reader over the result.
    static func unpack(
        _ bytes: UnsafeRawBufferPointer,
        _ descriptor: ProtoMessageDescriptor,
        arena: Arena,
        options: ProtoDecodingOptions
    ) throws(ProtoCodecError) -> ProtoCReader {
        if descriptor.needsWireWalk {
            try WireScanner(maxDepth: options.maxDepth).check(bytes, descriptor)
        }
        // protobuf-c reads nothing for an empty message, but wants a valid pointer.
        var empty: UInt8 = 0
        let unpacked = withUnsafeMutablePointer(to: &empty) { fallback in
            arena.withProtobufCAllocator { allocator in
                protobuf_c_message_unpack(
                    descriptor.pointer,
                    allocator,
                    bytes.count,
                    bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(fallback)
                )
            }
        }
        guard let unpacked else {
            if arena.budgetExceeded {
                throw ProtoCodecError(
                    .allocationBudgetExceeded,
                    messageName: descriptor.fullName,
                    detail: "decoding \(bytes.count) bytes needs more than \(arena.budget) bytes of memory"
                )
            }
            // protobuf-c says only that it failed; walk the bytes to say where and why.
            try WireScanner(maxDepth: .max).check(bytes, descriptor)
            throw ProtoCodecError(.malformedWire, messageName: descriptor.fullName, detail: "protobuf-c rejected the input")
        }
        return ProtoCReader(base: UnsafeRawPointer(unpacked), descriptor: descriptor)
    }

    /// Packs the struct `writer` built.
    static func pack(_ writer: ProtoCWriter) -> [UInt8] {
        let message = writer.message
        let size = protobuf_c_message_get_packed_size(message)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = size == 0 ? 0 : protobuf_c_message_pack(message, buffer.baseAddress!)
        }
    }
}
