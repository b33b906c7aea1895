import CCurl

/// An easy handle and what it points to (its error buffer and header list), freed together.
///
/// Options are set in one pass with the `set` methods, which keep the first one curl refuses in
/// ``failure``, so a transfer is configured and then checked once. Confined to the thread that
/// drives it.
public final class CurlEasy {
    /// The `CURL *`, for the calls with their own shims and for the multi handle.
    public let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// The first option curl refused: its name and curl's code.
    public private(set) var failure: (option: String, code: CURLcode)?

    /// A fresh handle that never raises signals (`CURLOPT_NOSIGNAL`: it runs on threads of a
    /// daemon) and fills its error buffer; nil when libcurl cannot be loaded or initialized.
    public init?() {
        guard CurlGlobal.ensureInitialized(), let handle = csupervise_curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        set("NOSIGNAL", CURLOPT_NOSIGNAL, 1)
        record("ERRORBUFFER", csupervise_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
    }

    deinit {
        csupervise_curl_easy_cleanup(handle)
        csupervise_curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Keeps `code` as the failure if it is the first one; for setters with their own shims
    /// (callbacks, the network namespace).
    public func record(_ option: String, _ code: CURLcode) {
        if failure == nil, code != CURLE_OK { failure = (option, code) }
    }

    /// Sets a `long` option; `option` names it in ``failure``.
    public func set(_ option: String, _ id: CURLoption, _ value: Int) {
        record(option, csupervise_easy_setopt_long(handle, id, value))
    }

    /// Sets a string option (curl copies it); `option` names it in ``failure``.
    public func set(_ option: String, _ id: CURLoption, _ value: String) {
        record(option, csupervise_easy_setopt_string(handle, id, value))
    }

    /// Sets a pointer option (callback data); the pointee must outlive the transfer.
    public func set(_ option: String, _ id: CURLoption, pointer: UnsafeMutableRawPointer?) {
        record(option, csupervise_easy_setopt_pointer(handle, id, pointer))
    }

    /// Adds a request header line (`Name: value`; `Name;` sends it empty, `Name:` removes curl's
    /// own). Sent once ``applyHeaders()`` hands the list to curl.
    public func appendHeader(_ line: String) {
        guard let list = csupervise_curl_slist_append(headerList, line) else {
            record("HTTPHEADER", CURLE_OUT_OF_MEMORY)
            return
        }
        headerList = list
    }

    /// Hands the header lines added so far to curl; nothing when there are none.
    public func applyHeaders() {
        guard let headerList else { return }
        record("HTTPHEADER", csupervise_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
    }

    /// A `long` the transfer reports (`CURLINFO_RESPONSE_CODE`, `CURLINFO_OS_ERRNO`, …); 0 when
    /// curl has none.
    public func info(_ id: CURLINFO) -> Int {
        var value = 0
        _ = csupervise_easy_getinfo_long(handle, id, &value)
        return value
    }

    /// The first option curl refused, as `curl option NAME: reason`; nil when all were accepted.
    public var failureText: String? { failure.map { "curl option \($0.option): \(Self.text($0.code))" } }

    /// `curl_easy_strerror`: curl's text for `code`.
    public static func text(_ code: CURLcode) -> String { String(cString: csupervise_curl_easy_strerror(code)) }

    /// curl's own words on the transfer's failure; empty when it has none.
    public var errorDetail: String { String(cString: errorBuffer) }
}
