internal import CBatonProtobufC

/// Writes fields by what the descriptor says at run time rather than by generated types, for the
/// JSON mapping.
extension ProtoCWriter {
    /// Links structs made by `nested(_:)` as the elements of the repeated message field at `index`.
    func setNestedArray(_ index: Int, _ elements: [ProtoCWriter]) {
        guard !elements.isEmpty else { return }
        let pointers = storeArray(index, count: elements.count, of: UnsafeRawPointer.self)
        for (i, element) in elements.enumerated() { pointers[i] = UnsafeRawPointer(element.base) }
    }

    /// A repeated string field; an error names the failing element's position as its field.
    func setStrings(_ index: Int, _ values: [String]) throws(ProtoCodecError) {
        guard !values.isEmpty else { return }
        let elements = storeArray(index, count: values.count, of: UnsafeRawPointer.self)
        for (i, value) in values.enumerated() {
            do {
                elements[i] = try copyString(value, index)
            } catch {
                throw error.withoutFieldName().atElement(i)
            }
        }
    }
}
