/// A URL as logs may show it: credentials in it replaced by `***`.
///
/// Webhook URLs often carry their secret: `https://user:token@host/…` or `https://host/hook?token=…`.
/// The user information is replaced as a whole, every query value is replaced (names are kept:
/// `?token=***&channel=***`; an item without `=` is replaced whole), and the fragment is left out.
/// The scheme, host, port and path stay, so the log still says which receiver failed.
public enum RedactedURL {
    public static let mask = "***"

    /// `url` with its user information and query values masked.
    public static func text(_ url: String) -> String {
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query: Substring?
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        var result = ""
        if let schemeEnd = rest.range(of: "://") {
            result += rest[..<schemeEnd.upperBound]
            let afterScheme = rest[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
            let authority = afterScheme[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                result += mask + authority[at...]
            } else {
                result += authority
            }
            result += afterScheme[authorityEnd...]
        } else {
            result += rest
        }
        if let query {
            let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
                guard !item.isEmpty else { return "" }
                guard let equals = item.firstIndex(of: "=") else { return mask }
                return item[..<equals] + "=" + mask
            }
            result += "?" + items.joined(separator: "&")
        }
        return result
    }
}
