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
        var object: [(String, String)] = [("code", quoted(codeName)), ("exitCode", "\(failure.exitCode.rawValue)")]
        switch failure {
        case .status(let error):
            object.append(("message", quoted(error.message)))
            if !error.details.isEmpty {
                let details = error.details.map { Self.detailJSON($0, typed: true) }
                object.append(("details", "[" + details.joined(separator: ",") + "]"))
            }
        case .badInput(let message), .unknownName(let message), .unreachable(let message):
            object.append(("message", quoted(message)))
        }
        return "{" + object.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
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
        let typeField = typed ? "\"@type\":\(quoted(detail.type))" : ""
        guard let body = try? ProtoJSON.jsonFromBinary(detail.value, messageName: detail.type) else {
            let value = "\"value\":\(quoted(Data(detail.value).base64EncodedString()))"
            return "{" + [typeField, value].filter { !$0.isEmpty }.joined(separator: ",") + "}"
        }
        guard typed else { return body }
        return body == "{}" ? "{\(typeField)}" : "{\(typeField)," + body.dropFirst()
    }
}
