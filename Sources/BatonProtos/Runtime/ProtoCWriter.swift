internal import CBatonProtobufC

#if canImport(Glibc)
import Glibc
#endif

/// Fills one protobuf-c struct in an arena, field by field, addressed by index in protobuf-c's
/// number-sorted field descriptors. Generated `_protoWrite(to:)` calls these; the JSON mapping
/// drives the same primitives from the descriptors at run time.
public struct ProtoCWriter {
    let base: UnsafeMutableRawPointer
    let descriptor: ProtoMessageDescriptor
    let arena: ArenaAllocator

    /// Allocates and initialises (defaults, descriptor pointer) an empty struct of `descriptor`.
    init(descriptor: ProtoMessageDescriptor, arena: ArenaAllocator) {
        self.descriptor = descriptor
        self.arena = arena
        let size = descriptor.pointer.pointee.sizeof_message
        self.base = arena.allocateForEncoding(byteCount: size)
        // All zeros is protobuf-c's initial value of every proto3 message (the generator accepts
        // proto3 only): NULL strings and messages, zero scalars and counts, enum value 0. Only
        // the descriptor pointer needs setting; cheaper than copying the `..._INIT` template.
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        base.storeBytes(of: descriptor.raw, as: UnsafeRawPointer.self)
    }

    /// Builds the C struct of `message` in `arena`.
    static func build<M: ProtoMessage>(_ message: M, in arena: ArenaAllocator) throws(ProtoCodecError) -> ProtoCWriter {
        let writer = ProtoCWriter(descriptor: M._protoDescriptor, arena: arena)
        try message._protoWrite(to: writer)
        return writer
    }

    /// The struct as protobuf-c's message, for packing.
    var message: UnsafePointer<ProtobufCMessage> { UnsafePointer(base.assumingMemoryBound(to: ProtobufCMessage.self)) }

    @inline(__always)
    func field(_ index: Int) -> ProtobufCFieldDescriptor { descriptor.field(at: index) }

    @inline(__always)
    func store<T>(_ value: T, _ index: Int) {
        base.storeBytes(of: value, toByteOffset: Int(field(index).offset), as: T.self)
    }

    /// Stores `count` elements at `index` and returns the array to fill.
    func storeArray<T>(_ index: Int, count: Int, of type: T.Type) -> UnsafeMutablePointer<T> {
        let elements = arena.allocateForEncoding(byteCount: count * MemoryLayout<T>.stride)
        base.storeBytes(of: count, toByteOffset: Int(field(index).quantifier_offset), as: Int.self)
        store(UnsafeRawPointer(elements), index)
        return elements.bindMemory(to: T.self, capacity: count)
    }

    func isOneofMember(_ index: Int) -> Bool {
        field(index).flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0
    }

    func error(_ code: ProtoCodecError.Code, _ index: Int, _ detail: String) -> ProtoCodecError {
        ProtoCodecError(code, messageName: descriptor.fullName, fieldName: String(cString: field(index).name), detail: detail)
    }

    // MARK: Singular fields

    /// A numeric field whose C type is `T`.
    public func setScalar<T: BitwiseCopyable>(_ index: Int, _ value: T) { store(value, index) }

    /// A bool field.
    public func setBool(_ index: Int, _ value: Bool) { store(Int32(value ? 1 : 0), index) }

    /// An enum field.
    public func setEnum<E: ProtoEnum>(_ index: Int, _ value: E) { store(value.rawValue, index) }

    /// Marks the oneof member at `index` as the one that is set.
    public func setOneofCase(_ index: Int) {
        base.storeBytes(of: field(index).id, toByteOffset: Int(field(index).quantifier_offset), as: UInt32.self)
    }

    /// A string field. Empty strings keep protobuf-c's default except in a oneof, where the
    /// member must point at its own empty string for protobuf-c to pack it (its presence is the
    /// point of setting it).
    public func setString(_ index: Int, _ value: String) throws(ProtoCodecError) {
        if value.isEmpty && !isOneofMember(index) { return }
        store(try copyString(value, index), index)
    }

    func copyString(_ value: String, _ index: Int) throws(ProtoCodecError) -> UnsafeRawPointer {
        // Native Swift strings are contiguous UTF-8; only bridged or lazy ones need `withUTF8`'s
        // copy (and `var` for it, which costs a retain per string on the common path).
        let copied =
            value.utf8.withContiguousStorageIfAvailable(copyUTF8)
            ?? { var value = value; return value.withUTF8(copyUTF8) }()
        guard let copied else {
            throw error(.unrepresentableString, index, "the string contains U+0000, which protobuf-c cannot carry")
        }
        return UnsafeRawPointer(copied)
    }

    /// A NUL-terminated copy in the arena, or nil if `utf8` holds a NUL.
    private func copyUTF8(_ utf8: UnsafeBufferPointer<UInt8>) -> UnsafeMutableRawPointer? {
        // Sized like protobuf-c's own unpacked strings, so readers can check them the same way.
        guard let copy = arena.allocateRecordingSize(byteCount: utf8.count + 1) else { fatalError("out of memory") }
        // memccpy stops after a NUL: one pass both copies and finds the U+0000 that protobuf-c's
        // NUL-terminated strings cannot carry.
        if let start = utf8.baseAddress, memccpy(copy, start, 0, utf8.count) != nil { return nil }
        copy.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
        return copy
    }

    /// A bytes field.
    public func setBytes(_ index: Int, _ value: [UInt8]) {
        if value.isEmpty && !isOneofMember(index) { return }
        store(copyBytes(value), index)
    }

    func copyBytes(_ value: [UInt8]) -> ProtobufCBinaryData {
        let copy = arena.allocateForEncoding(byteCount: value.count)
        value.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(copy), byteCount: $0.count) }
        return ProtobufCBinaryData(len: value.count, data: copy.assumingMemoryBound(to: UInt8.self))
    }

    /// A message field.
    public func setMessage<M: ProtoMessage>(_ index: Int, _ value: M) throws(ProtoCodecError) {
        store(UnsafeRawPointer(try nestedWriter(index, value).base), index)
    }

    private func nestedWriter<M: ProtoMessage>(_ index: Int, _ value: M) throws(ProtoCodecError) -> ProtoCWriter {
        let writer = nested(index)
        try value._protoWrite(to: writer)
        return writer
    }

    /// A fresh struct for the message field at `index`, not yet linked into this one.
    func nested(_ index: Int) -> ProtoCWriter {
        let d = field(index).descriptor!.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
        return ProtoCWriter(descriptor: ProtoMessageDescriptor(d), arena: arena)
    }

    /// Links a struct made by `nested(_:)` into the message field at `index`.
    func setNested(_ index: Int, _ writer: ProtoCWriter) { store(UnsafeRawPointer(writer.base), index) }

    // MARK: Repeated fields

    /// A repeated numeric field whose C element type is `T`.
    public func setRepeatedScalar<T: BitwiseCopyable>(_ index: Int, _ values: [T]) {
        guard !values.isEmpty else { return }
        let elements = storeArray(index, count: values.count, of: T.self)
        values.withUnsafeBufferPointer { elements.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// A repeated bool field.
    public func setRepeatedBool(_ index: Int, _ values: [Bool]) {
        setRepeatedScalar(index, values.map { Int32($0 ? 1 : 0) })
    }

    /// A repeated enum field.
    public func setRepeatedEnum<E: ProtoEnum>(_ index: Int, _ values: [E]) {
        setRepeatedScalar(index, values.map(\.rawValue))
    }

    /// A repeated string field.
    public func setRepeatedString(_ index: Int, _ values: [String]) throws(ProtoCodecError) {
        guard !values.isEmpty else { return }
        let elements = storeArray(index, count: values.count, of: UnsafeRawPointer.self)
        for (i, value) in values.enumerated() { elements[i] = try copyString(value, index) }
    }

    /// A repeated bytes field.
    public func setRepeatedBytes(_ index: Int, _ values: [[UInt8]]) {
        guard !values.isEmpty else { return }
        let elements = storeArray(index, count: values.count, of: ProtobufCBinaryData.self)
        for (i, value) in values.enumerated() { elements[i] = copyBytes(value) }
    }

    /// A repeated message field.
    public func setRepeatedMessage<M: ProtoMessage>(_ index: Int, _ values: [M]) throws(ProtoCodecError) {
        guard !values.isEmpty else { return }
        let elements = storeArray(index, count: values.count, of: UnsafeRawPointer.self)
        // Each element is written where it stands (subscript read access) rather than copied
        // out, and retained, first.
        for i in values.indices {
            let writer = nested(index)
            try values[i]._protoWrite(to: writer)
            elements[i] = UnsafeRawPointer(writer.base)
        }
    }
}
