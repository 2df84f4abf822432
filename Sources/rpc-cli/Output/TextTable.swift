/// Rows of text in columns padded to their widest cell, like `ls -l` or `kubectl get`.
struct TextTable {
    let headers: [String]
    private(set) var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }

    mutating func append(_ cells: String...) { rows.append(cells) }

    var rendered: String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated()
                // Padded by characters, as the widths are counted: NSString's padding counts
                // UTF-16 units and would cut an emoji in half.
                .map { column, cell in
                    column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
                }
                .joined(separator: "  ")
                .trailingSpacesRemoved
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate var trailingSpacesRemoved: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
