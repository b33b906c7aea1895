import CCurl

/// `curl_global_init`, once per process, before the first handle (thread-safe since curl 7.84).
enum CurlGlobal {
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK

    /// Initializes libcurl if nobody has yet; returns whether it succeeded.
    static func ensureInitialized() -> Bool { initialized }
}
