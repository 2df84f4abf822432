import BatonProtos

/// Cuts a list into pages. The token is the offset of the next page: lists are small and in a
/// stable order, and the schema only promises tokens for the same request and filters.
enum Paging {
    static func page<T>(
        _ items: [T],
        _ request: Baton_V1_PageRequest?
    ) throws(BatonError) -> ([T], Baton_V1_PageResponse) {
        let size = Int(request?.pageSize ?? 0 == 0 ? 50 : min(request?.pageSize ?? 50, 500))
        var start = 0
        if let token = request?.pageToken, !token.isEmpty {
            guard let offset = Int(token), offset >= 0 else {
                var validator = Validator()
                validator.fail("page.page_token", "page_token is not a token this server returned")
                try validator.check()
                return ([], Baton_V1_PageResponse())
            }
            start = min(offset, items.count)
        }
        let end = min(start + size, items.count)
        var response = Baton_V1_PageResponse()
        if end < items.count { response.nextPageToken = String(end) }
        return (Array(items[start..<end]), response)
    }
}
