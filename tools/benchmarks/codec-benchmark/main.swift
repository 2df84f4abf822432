import BatonProtos
import CBatonCodecBaseline

// Codec benchmark: encode and decode of a realistic baton.v1.Chat (a 50-entry transcript)
// through BatonProtos against protobuf-c's raw pack/unpack of the same bytes, in one process,
// alternating rounds so machine noise hits both sides alike. Prints ns per operation and the
// ratio Swift / raw C. Run: swift run -c release baton-codec-benchmark [iterations] [rounds]

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 7 : 7

func realisticChat() -> Baton_V1_Chat {
    let lines = [
        "Hi! I'm looking at the Enterprise plan — does it include SSO?",
        "Yes, SAML and OIDC are both included. Which identity provider do you use?",
        "We're on Okta. Also, how does pricing work for 250 seats?",
        "Let me bring in Ben, he handles volume pricing for teams your size.",
        "Ana transferred the chat to Ben",
        "Thanks Ana 👋 Hi, I'm Ben. For 250 seats we'd look at an annual agreement.",
        "Ça marche. Can we get a quote by Friday?",
    ]
    var chat = Baton_V1_Chat()
    chat.id = "chat_01HZX3M8Q2V7K9D4R6T1"
    chat.visitor = Baton_V1_Visitor()
    chat.visitor?.id = "visitor_5f2a9c"
    chat.visitor?.name = "Dana Whitfield"
    chat.visitor?.email = "dana.whitfield@example.com"
    chat.ownerRepID = "rep_ben"
    chat.teamID = "team_sales_emea"
    chat.state = .active
    chat.version = 57
    var created = Google_Protobuf_Timestamp()
    created.seconds = 1_764_000_000
    created.nanos = 125_000_000
    chat.createdAt = created
    chat.updatedAt = created
    for i in 0..<50 {
        var entry = Baton_V1_TranscriptEntry()
        entry.sequence = UInt64(i + 1)
        var author = Baton_V1_Actor()
        author.kind = i % 2 == 0 ? .visitor : .rep
        author.id = i % 2 == 0 ? "visitor_5f2a9c" : "rep_ana"
        entry.author = author
        entry.kind = i == 4 ? .audit : .message
        entry.visibility = i == 4 ? .repsOnly : .everyone
        entry.text = lines[i % lines.count]
        var time = Google_Protobuf_Timestamp()
        time.seconds = 1_764_000_000 + Int64(i * 17)
        entry.time = time
        chat.transcript.append(entry)
    }
    chat.transcriptLength = 50
    return chat
}

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let chat = realisticChat()
let wire = try chat.serializedBytes()
let decoded = try Baton_V1_Chat(serializedBytes: wire)
precondition(decoded == chat, "the benchmark message must round-trip")

var rawEncode: [Double] = []
var rawDecode: [Double] = []
var swiftEncode: [Double] = []
var swiftDecode: [Double] = []
let clock = ContinuousClock()
var sink = 0
for _ in 0..<rounds {
    rawEncode.append(Double(wire.withUnsafeBufferPointer { cbaton_baseline_encode_ns($0.baseAddress, $0.count, Int32(iterations)) }) / Double(iterations))
    swiftEncode.append(nanoseconds(clock.measure {
        for _ in 0..<iterations { sink &+= (try! chat.serializedBytes()).count }
    }) / Double(iterations))
    rawDecode.append(Double(wire.withUnsafeBufferPointer { cbaton_baseline_decode_ns($0.baseAddress, $0.count, Int32(iterations)) }) / Double(iterations))
    swiftDecode.append(nanoseconds(clock.measure {
        for _ in 0..<iterations { sink &+= (try! Baton_V1_Chat(serializedBytes: wire)).transcript.count }
    }) / Double(iterations))
}

func row(_ name: String, _ raw: Double, _ swift: Double) -> String {
    let ratio = swift / raw
    let padded = name + String(repeating: " ", count: max(0, 11 - name.count))
    return "\(padded) raw C \(format(raw)) ns   Swift \(format(swift)) ns   ratio \(format(ratio, digits: 2))x"
}

func format(_ value: Double, digits: Int = 0) -> String {
    let scale = digits == 0 ? 1.0 : (digits == 1 ? 10.0 : 100.0)
    let rounded = (value * scale).rounded() / scale
    return digits == 0 ? String(Int(rounded)) : String(rounded)
}

print("codec benchmark: baton.v1.Chat, 50-entry transcript, \(wire.count) bytes; median of \(rounds) rounds x \(iterations)")
print(row("encode", median(rawEncode), median(swiftEncode)))
print(row("decode", median(rawDecode), median(swiftDecode)))
print(row("round trip", median(rawEncode) + median(rawDecode), median(swiftEncode) + median(swiftDecode)))
if sink == 42 { print("") }  // keeps the optimiser from dropping the loops
