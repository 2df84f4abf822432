internal import CBatonProtobufC

#if canImport(Glibc)
import Glibc
#endif

/// Reads the fields of one unpacked protobuf-c struct, addressed by their index in protobuf-c's
/// number-sorted field descriptors. Generated `init(_protoReader:)` calls these; the JSON
/// mapping walks the same primitives from the descriptors at run time.
///
/// Valid only while the arena that holds the struct is alive.
public struct ProtoCReader {
    let base: UnsafeRawPointer
    let descriptor: ProtoMessageDescriptor

    init(base: UnsafeRawPointer, descriptor: ProtoMessageDescriptor) {
        self.base = base
        self.descriptor = descriptor
    }

    @inline(__always)
    func field(_ index: Int) -> ProtobufCFieldDescriptor { descriptor.field(at: index) }

    @inline(__always)
    func load<T>(_ index: Int, as type: T.Type) -> T {
        base.load(fromByteOffset: Int(field(index).offset), as: T.self)
    }

    @inline(__always)
    func count(_ index: Int) -> Int {
        base.load(fromByteOffset: Int(field(index).quantifier_offset), as: Int.self)
    }

    @inline(__always)
    func array(_ index: Int) -> UnsafeRawPointer? {
        load(index, as: UnsafeRawPointer?.self)
    }

    func error(_ code: ProtoCodecError.Code, _ index: Int, _ detail: String) -> ProtoCodecError {
        ProtoCodecError(
            code,
            messageName: descriptor.fullName,
            fieldName: String(cString: field(index).name),
            detail: detail
        )
    }

    // MARK: Singular fields

    /// A numeric field whose C type is `T` (int32_t, int64_t, uint32_t, uint64_t, float, double).
    public func scalar<T: BitwiseCopyable>(_ index: Int) -> T { load(index, as: T.self) }

    /// A bool field (protobuf-c stores `protobuf_c_boolean`, an int).
    public func bool(_ index: Int) -> Bool { load(index, as: Int32.self) != 0 }

    /// An enum field; numbers this build does not know become `.unrecognized`.
    public func enumValue<E: ProtoEnum>(_ index: Int) -> E { E(rawValue: load(index, as: Int32.self)) }

    /// A string field, validated as UTF-8 (protobuf-c does not validate).
    public func string(_ index: Int) throws(ProtoCodecError) -> String {
        guard let pointer = load(index, as: UnsafePointer<CChar>?.self) else { return "" }
        return try decodeString(pointer, index)
    }

    func decodeString(_ pointer: UnsafePointer<CChar>, _ index: Int) throws(ProtoCodecError) -> String {
        // protobuf-c's static empty default was not allocated by the arena and has no record.
        if UnsafeRawPointer(pointer) == field(index).default_value { return "" }
        guard let string = String(validatingCString: pointer) else {
            throw error(.invalidUTF8, index, "the string is not valid UTF-8")
        }
        // Every non-empty string here was allocated with its size recorded (Arena): a longer
        // record means the bytes went on past a U+0000.
        guard ArenaAllocator.recordedSize(of: UnsafeRawPointer(pointer)) == string.utf8.count + 1 else {
            throw error(.unrepresentableString, index, "the string contains U+0000, which protobuf-c cannot carry")
        }
        return string
    }

    /// A bytes field.
    public func bytes(_ index: Int) -> [UInt8] {
        Self.bytes(load(index, as: ProtobufCBinaryData.self))
    }

    private static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let pointer = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: data.len))
    }

    /// A message field, nil when absent.
    public func message<M: ProtoMessage>(_ index: Int, as type: M.Type = M.self) throws(ProtoCodecError) -> M? {
        guard let pointer = load(index, as: UnsafeRawPointer?.self) else { return nil }
        return try checkedMessage(pointer, index)
    }

    /// The message at `pointer` in the field at `index`, refused naming that field when it is out
    /// of its type's range.
    private func checkedMessage<M: ProtoMessage>(
        _ pointer: UnsafeRawPointer,
        _ index: Int
    ) throws(ProtoCodecError) -> M {
        let message = try M(_protoReader: nested(pointer, index))
        if let violation = message._protoRangeViolation { throw error(.invalidFieldValue, index, violation) }
        return message
    }

    func nested(_ pointer: UnsafeRawPointer, _ index: Int) -> ProtoCReader {
        let d = field(index).descriptor!.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
        return ProtoCReader(base: pointer, descriptor: ProtoMessageDescriptor(d))
    }

    /// The field number of the oneof member that is set (0 when none), read from the oneof's
    /// case field shared by the member at `index`.
    public func oneofCase(_ index: Int) -> Int {
        Int(base.load(fromByteOffset: Int(field(index).quantifier_offset), as: UInt32.self))
    }

    // MARK: Repeated fields

    /// A repeated numeric field whose C element type is `T`.
    public func repeatedScalar<T: BitwiseCopyable>(_ index: Int) -> [T] {
        let n = count(index)
        guard n > 0, let elements = array(index) else { return [] }
        return Array(UnsafeBufferPointer(start: elements.assumingMemoryBound(to: T.self), count: n))
    }

    /// A repeated bool field.
    public func repeatedBool(_ index: Int) -> [Bool] {
        (repeatedScalar(index) as [Int32]).map { $0 != 0 }
    }

    /// A repeated enum field.
    public func repeatedEnum<E: ProtoEnum>(_ index: Int) -> [E] {
        (repeatedScalar(index) as [Int32]).map(E.init(rawValue:))
    }

    /// A repeated string field, each element validated as UTF-8.
    public func repeatedString(_ index: Int) throws(ProtoCodecError) -> [String] {
        let pointers: [UnsafePointer<CChar>?] = repeatedScalar(index)
        var result: [String] = []
        result.reserveCapacity(pointers.count)
        for pointer in pointers {
            result.append(try pointer.map { p throws(ProtoCodecError) in try decodeString(p, index) } ?? "")
        }
        return result
    }

    /// A repeated bytes field.
    public func repeatedBytes(_ index: Int) -> [[UInt8]] {
        (repeatedScalar(index) as [ProtobufCBinaryData]).map(Self.bytes)
    }

    /// A repeated message field.
    public func repeatedMessage<M: ProtoMessage>(_ index: Int) throws(ProtoCodecError) -> [M] {
        let n = count(index)
        guard n > 0, let elements = array(index) else { return [] }
        let pointers = elements.assumingMemoryBound(to: UnsafeRawPointer?.self)
        var result: [M] = []
        result.reserveCapacity(n)
        for i in 0..<n {
            guard let pointer = pointers[i] else { continue }
            result.append(try checkedMessage(pointer, index))
        }
        return result
    }
}
