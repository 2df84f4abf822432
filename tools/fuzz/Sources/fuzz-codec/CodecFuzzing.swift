import BatonFuzzing
import BatonProtos

// The protobuf-c decode path (typed Swift values and the dynamic JSON mapping) and the proto3
// JSON decoder over arbitrary bytes. The first line picks the mode and the message type
// (`binary baton.v1.Chat`, `json baton.v1.Chat`); the rest is decoded as that message. What
// decodes must encode again, and decoding that encoding must give the same bytes once more:
// the codec may refuse input, never trap on it or change what it accepted.

let messageNames = BatonSchema.messageTypes.map { $0.protoMessageName }.sorted()
let choices = messageNames.map { "binary \($0)" } + messageNames.map { "json \($0)" }

/// Decodes `bytes` as `type` and returns its encoding, or nil when the codec refuses them.
func canonical(_ bytes: [UInt8], as type: any ProtoMessage.Type) -> [UInt8]? {
    guard let message = try? type.init(serializedBytes: bytes) else { return nil }
    do {
        return try message.serializedBytes()
    } catch {
        fatalError("a decoded \(type.protoMessageName) does not encode: \(error)")
    }
}

func fuzzBinary(_ bytes: [UInt8], as type: any ProtoMessage.Type) {
    guard let once = canonical(bytes, as: type) else { return }
    guard let twice = canonical(once, as: type) else {
        fatalError("the encoding of a decoded \(type.protoMessageName) does not decode")
    }
    expect(once == twice, "a \(type.protoMessageName) changed on its second round trip")
    // The JSON mapping reads the same bytes through protobuf-c without Swift values.
    guard let json = try? ProtoJSON.jsonFromBinary(bytes, messageName: type.protoMessageName) else { return }
    do {
        // Compared as JSON: a NaN's payload bits cannot survive it.
        let back = try ProtoJSON.binaryFromJSON(json, messageName: type.protoMessageName)
        let again = try ProtoJSON.jsonFromBinary(back, messageName: type.protoMessageName)
        expect(again == json, "a \(type.protoMessageName) changed through JSON: \(json), then \(again)")
    } catch {
        fatalError("JSON written for a \(type.protoMessageName) does not read back: \(error); \(json)")
    }
}

func fuzzJSON(_ text: [UInt8], as type: any ProtoMessage.Type) {
    guard let bytes = try? ProtoJSON.binaryFromJSON(utf8: text, messageName: type.protoMessageName) else { return }
    fuzzBinary(bytes, as: type)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodec(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = FuzzInput(Array(UnsafeBufferPointer(start: start, count: count)), choosingAmong: choices)
    let name = messageNames[input.choice % messageNames.count]
    let type = BatonSchema.messageType(named: name)!
    if input.choice < messageNames.count {
        fuzzBinary(input.payload, as: type)
    } else {
        fuzzJSON(input.payload, as: type)
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func mutateMessage(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    CustomMutator.mutateFuzzInput(data, size, maxSize, seed)
}
