/// The proto3 JSON mapping of every message in Baton's schema
/// (https://protobuf.dev/programming-guides/proto3/#json), driven by protobuf-c's descriptors.
///
/// Field names are written in lowerCamelCase and read in either that or the schema's spelling;
/// 64-bit integers are strings, enums their value names, bytes base64, and
/// `google.protobuf.Timestamp` an RFC 3339 string. Unknown fields are errors unless
/// `ProtoJSONDecodingOptions.ignoreUnknownFields` is set.
public enum ProtoJSON {
    /// Converts JSON to the protobuf wire format of the message named `messageName` (e.g.
    /// `baton.v1.Chat`), without a Swift value in between.
    public static func binaryFromJSON(
        _ json: String,
        messageName: String,
        options: ProtoJSONDecodingOptions = ProtoJSONDecodingOptions()
    ) throws(ProtoCodecError) -> [UInt8] {
        var json = json
        let result = json.withUTF8 { utf8 in
            Result { () throws(ProtoCodecError) in
                try binaryFromJSON(utf8, messageName: messageName, options: options)
            }
        }
        return try result.get()
    }

    /// Converts JSON text given as bytes, such as a file or standard input, to the protobuf wire
    /// format of the message named `messageName`. Bytes that are not UTF-8 are an error.
    public static func binaryFromJSON(
        utf8 json: some Collection<UInt8>,
        messageName: String,
        options: ProtoJSONDecodingOptions = ProtoJSONDecodingOptions()
    ) throws(ProtoCodecError) -> [UInt8] {
        func convert(_ utf8: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], ProtoCodecError> {
            Result { () throws(ProtoCodecError) in
                try binaryFromJSON(utf8, messageName: messageName, options: options)
            }
        }
        let result = json.withContiguousStorageIfAvailable(convert) ?? Array(json).withUnsafeBufferPointer(convert)
        return try result.get()
    }

    private static func binaryFromJSON(
        _ utf8: UnsafeBufferPointer<UInt8>,
        messageName: String,
        options: ProtoJSONDecodingOptions
    ) throws(ProtoCodecError) -> [UInt8] {
        let descriptor = try descriptor(named: messageName)
        let arena = Arena()
        let writer = try ProtoJSONDecoder.decode(utf8, as: descriptor, options: options, arena: arena)
        return withExtendedLifetime(arena) { ProtoCodec.pack(writer) }
    }

    /// Converts the protobuf wire format of the message named `messageName` to JSON. The bytes
    /// are untrusted: decoding stays within `decodingOptions`' limits and checks that every
    /// string is UTF-8.
    public static func jsonFromBinary(
        _ bytes: some Collection<UInt8>,
        messageName: String,
        decodingOptions: ProtoDecodingOptions = ProtoDecodingOptions(),
        options: ProtoJSONEncodingOptions = ProtoJSONEncodingOptions()
    ) throws(ProtoCodecError) -> String {
        let descriptor = try descriptor(named: messageName)
        func convert(_ raw: UnsafeRawBufferPointer) -> Result<String, ProtoCodecError> {
            Result { () throws(ProtoCodecError) in
                let arena = Arena(budget: decodingOptions.allocationBudget)
                let reader = try ProtoCodec.unpack(raw, descriptor, arena: arena, options: decodingOptions)
                return try withExtendedLifetime(arena) { () throws(ProtoCodecError) in
                    try ProtoJSONEncoder.encode(reader, options: options)
                }
            }
        }
        let result =
            bytes.withContiguousStorageIfAvailable { convert(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes(convert)
        return try result.get()
    }

    private static func descriptor(named messageName: String) throws(ProtoCodecError) -> ProtoMessageDescriptor {
        guard let descriptor = ProtoMessageDescriptor.lookup(messageName) else {
            throw ProtoCodecError(
                .unknownMessageType,
                messageName: messageName,
                detail: "Baton's schema has no message named \(messageName)"
            )
        }
        return descriptor
    }
}

extension ProtoMessage {
    /// The message as proto3 JSON. Fails only for a `google.protobuf.Timestamp` outside
    /// 0001-01-01 to 9999-12-31 (or with nanos outside 0..<1e9) and for strings holding U+0000,
    /// which protobuf-c cannot carry.
    public func jsonString(
        options: ProtoJSONEncodingOptions = ProtoJSONEncodingOptions()
    ) throws(ProtoCodecError) -> String {
        let arena = Arena()
        let writer = try ProtoCWriter.build(self, in: arena.allocator)
        return try withExtendedLifetime(arena) { () throws(ProtoCodecError) in
            let reader = ProtoCReader(base: UnsafeRawPointer(writer.base), descriptor: Self._protoDescriptor)
            return try ProtoJSONEncoder.encode(reader, options: options)
        }
    }

    /// Reads the message from proto3 JSON.
    public init(
        jsonString: String,
        options: ProtoJSONDecodingOptions = ProtoJSONDecodingOptions()
    ) throws(ProtoCodecError) {
        var json = jsonString
        let result = json.withUTF8 { utf8 in
            Result { () throws(ProtoCodecError) in
                let arena = Arena()
                let writer = try ProtoJSONDecoder.decode(
                    utf8,
                    as: Self._protoDescriptor,
                    options: options,
                    arena: arena
                )
                return try withExtendedLifetime(arena) { () throws(ProtoCodecError) in
                    try Self(
                        _protoReader: ProtoCReader(base: UnsafeRawPointer(writer.base), descriptor: writer.descriptor)
                    )
                }
            }
        }
        self = try result.get()
    }
}
