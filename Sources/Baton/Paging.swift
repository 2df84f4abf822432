import BatonProtos
import Foundation

/// Page sizes and page tokens.
///
/// Lists the store reads one page at a time (chats, reps, teams) use keyset tokens: the base64 of
/// the list's name and the sort key of the page's last item, separated by spaces —
/// "chats <updated_at seconds> <updated_at nanos> <id>", "reps <id>", "teams <id>". The next page
/// is read `WHERE (sort key) > (token's key) ORDER BY … LIMIT size + 1`, so items added or removed
/// between pages never make the rest of the list skip or repeat an item. The token stays opaque
/// to clients: the schema only promises it for the same request and filters. Any other token
/// (the offsets of earlier versions included) is INVALID_ARGUMENT naming `page.page_token`.
///
/// Meetings are still cut in memory from the whole filtered list (`page(_:_:)`), with an offset
/// token.
enum Paging {
    /// The page size asked for: 0 is the default (50), anything above 500 is 500.
    static func size(_ request: Baton_V1_PageRequest?) -> Int {
        let asked = request?.pageSize ?? 0
        return asked == 0 ? 50 : Int(min(asked, 500))
    }

    /// The sort key the page starts after, read by `parse` from the `fields` values after the
    /// list's name; nil for the first page.
    static func key<Key>(
        _ request: Baton_V1_PageRequest?,
        list: String,
        fields: Int,
        _ parse: ([Substring]) -> Key?
    ) throws(BatonError) -> Key? {
        guard let token = request?.pageToken, !token.isEmpty else { return nil }
        if let key = decode(token, list: list, fields: fields).flatMap(parse) { return key }
        try refuseToken()
        return nil
    }

    private static func decode(_ token: String, list: String, fields: Int) -> [Substring]? {
        guard let decoded = Data(base64Encoded: token), let text = String(data: decoded, encoding: .utf8) else {
            return nil
        }
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == fields + 1, parts[0] == list, !parts.dropFirst().contains(where: \.isEmpty) else {
            return nil
        }
        return Array(parts.dropFirst())
    }

    /// The token of the page after the one ending with an item of sort key `key`.
    static func token(list: String, _ key: [String]) -> String {
        Data(([list] + key).joined(separator: " ").utf8).base64EncodedString()
    }

    /// The page of `items` read in order (up to `size + 1` of them), and its response: a next
    /// token, from the page's last item, when there was more than a page.
    static func cut<T>(
        _ items: [T],
        size: Int,
        list: String,
        key: (T) -> [String]
    ) -> ([T], Baton_V1_PageResponse) {
        var response = Baton_V1_PageResponse()
        guard items.count > size else { return (items, response) }
        let page = Array(items.prefix(size))
        if let last = page.last { response.nextPageToken = token(list: list, key(last)) }
        return (page, response)
    }

    /// Cuts a whole list into pages; the token is the offset of the next page.
    static func page<T>(
        _ items: [T],
        _ request: Baton_V1_PageRequest?
    ) throws(BatonError) -> ([T], Baton_V1_PageResponse) {
        let size = size(request)
        var start = 0
        if let token = request?.pageToken, !token.isEmpty {
            guard let offset = Int(token), offset >= 0 else {
                try refuseToken()
                return ([], Baton_V1_PageResponse())
            }
            start = min(offset, items.count)
        }
        let end = min(start + size, items.count)
        var response = Baton_V1_PageResponse()
        if end < items.count { response.nextPageToken = String(end) }
        return (Array(items[start..<end]), response)
    }

    private static func refuseToken() throws(BatonError) {
        var validator = Validator()
        validator.fail("page.page_token", "page_token is not a token this server returned")
        try validator.check()
    }
}
