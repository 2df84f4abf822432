import BatonProtos
import BatonRPC
import Foundation

/// A failure as the user reads it on stderr: in text, `rpc-cli: error: CODE: message` and one
/// indented line per typed detail, in words; in JSON, one object
/// `{"code":"FAILED_PRECONDITION","exitCode":109,"message":"…","details":[{"@type":…}]}`.
struct ErrorReport {
    let failure: CLIFailure

    func rendered(as format: OutputFormat) -> String {
        switch format {
        case .text: text
        case .json: json
        }
    }

    private var text: String {
        var lines = ["rpc-cli: error: \(failure)"]
        if case .status(let error) = failure {
            lines += error.details.map { "  " + DetailText.line($0) }
        }
        return lines.joined(separator: "\n")
    }

    private var json: String {
        var writer = JSONWriter(prettyPrinted: false)
        writer.beginObject()
        writer.key("code")
        writer.string(codeName)
        writer.key("exitCode")
        writer.raw("\(failure.exitCode.rawValue)")
        writer.key("message")
        switch failure {
        case .status(let error):
            writer.string(error.message)
            if !error.details.isEmpty {
                writer.key("details")
                writer.beginArray()
                for detail in error.details { writer.raw(Self.detailJSON(detail, typed: true)) }
                writer.endArray()
            }
        case .badInput(let message), .unknownName(let message), .unreachable(let message):
            writer.string(message)
        }
        writer.endObject()
        return writer.text
    }

    /// The status name for call failures; the exit code's meaning for the CLI's own.
    private var codeName: String {
        switch failure {
        case .status(let error): error.code.name
        case .badInput: "BAD_INPUT"
        case .unknownName: "USAGE"
        case .unreachable: "UNREACHABLE"
        }
    }

    /// A detail as compact proto3 JSON; `typed` adds `"@type"` first, as google.protobuf.Any's
    /// JSON form does. A type this build does not know shows as its base64 bytes.
    static func detailJSON(_ detail: Baton_Rpc_V1_ErrorDetail, typed: Bool = false) -> String {
        guard let body = try? ProtoJSON.jsonFromBinary(detail.value, messageName: detail.type) else {
            var writer = JSONWriter(prettyPrinted: false)
            writer.beginObject()
            if typed {
                writer.key("@type")
                writer.string(detail.type)
            }
            writer.key("value")
            writer.string(Data(detail.value).base64EncodedString())
            writer.endObject()
            return writer.text
        }
        guard typed else { return body }
        var type = JSONWriter(prettyPrinted: false)
        type.string(detail.type)
        return "{\"@type\":" + type.text + (body == "{}" ? "}" : "," + body.dropFirst())
    }
}
