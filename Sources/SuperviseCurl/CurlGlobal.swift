import CCurl

/// `curl_global_init`, exactly once per process, before the first easy or multi handle.
public enum CurlGlobal {
    private static let initialized: Bool = csupervise_curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK

    /// Initializes libcurl if nobody has yet; returns whether it succeeded.
    @discardableResult
    public static func ensureInitialized() -> Bool { initialized }
}
