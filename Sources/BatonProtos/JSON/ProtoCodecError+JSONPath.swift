extension ProtoCodecError {
    /// The error as seen from the message that contains the failing one: `fieldName` becomes a
    /// path such as `transcript[3].text`, built outward as the error leaves each level, so the
    /// common path (no error) pays nothing for it. `messageName` stays the innermost message.
    func inField(_ name: String) -> ProtoCodecError {
        var error = self
        switch fieldName {
        case nil: error.fieldName = name
        case let path? where path.hasPrefix("["): error.fieldName = name + path
        case let path?: error.fieldName = name + "." + path
        }
        return error
    }

    /// The error as seen from the repeated field whose element `index` failed.
    func atElement(_ index: Int) -> ProtoCodecError {
        var error = self
        switch fieldName {
        case nil: error.fieldName = "[\(index)]"
        case let path? where path.hasPrefix("["): error.fieldName = "[\(index)]" + path
        case let path?: error.fieldName = "[\(index)]." + path
        }
        return error
    }

    /// The error with its field name dropped, for errors from the reader and writer, which name
    /// only the field; the JSON mapping then names the whole path instead.
    func withoutFieldName() -> ProtoCodecError {
        var error = self
        error.fieldName = nil
        return error
    }
}
