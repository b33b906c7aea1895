import CCurl
import Foundation
import Testing

/// The typed shims for curl's variadic calls, against a real HTTP server (agent-sim on loopback).
@Suite(.serialized) struct CurlShimTests {
    @Test func easyAndMultiShimsFetchFromARealServer() throws {
        let port = freeLoopbackPort()
        let sim = try TestProcess(Binaries.agentSim, ["--port", "\(port)", "--name", "curl-shim"])
        defer { sim.stop() }
        #expect(eventually(timeout: 10) { httpRequest("GET", port: port, path: "/")?.status == 200 })

        let easy = try #require(csupervise_curl_easy_init())
        defer { csupervise_curl_easy_cleanup(easy) }
        let body = BodyCollector()
        #expect(csupervise_easy_setopt_string(easy, CURLOPT_URL, "http://127.0.0.1:\(port)/worker") == CURLE_OK)
        #expect(csupervise_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, 5000) == CURLE_OK)
        #expect(csupervise_easy_setopt_write_callback(easy, { ptr, size, count, user in
            let collector = Unmanaged<BodyCollector>.fromOpaque(user!).takeUnretainedValue()
            collector.data.append(Data(bytes: ptr!, count: size * count))
            return size * count
        }) == CURLE_OK)
        #expect(csupervise_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(body).toOpaque()) == CURLE_OK)

        // Drive it through a multi handle, as the probe engine will.
        let multi = try #require(csupervise_curl_multi_init())
        defer { csupervise_curl_multi_cleanup(multi) }
        #expect(csupervise_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 16) == CURLM_OK)
        #expect(csupervise_curl_multi_add_handle(multi, easy) == CURLM_OK)
        var running: Int32 = 1
        let deadline = Date().addingTimeInterval(10)
        while running > 0 && Date() < deadline {
            _ = csupervise_curl_multi_perform(multi, &running)
            if running > 0 { _ = csupervise_curl_multi_poll(multi, nil, 0, 100, nil) }
        }
        csupervise_curl_multi_remove_handle(multi, easy)

        var status = 0
        #expect(csupervise_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
        #expect(status == 200)
        var seconds = 0.0
        #expect(csupervise_easy_getinfo_double(easy, CURLINFO_TOTAL_TIME, &seconds) == CURLE_OK)
        #expect(seconds > 0 && seconds < 5)
        let json = try JSONSerialization.jsonObject(with: body.data) as? [String: Any]
        #expect(json?["active_jobs"] as? Int == 0)
        #expect(json?["name"] as? String == "curl-shim")
    }

    /// The shims go by names of our own: the `supervise` binary defines no `curl_*` symbol, in its symbol table or in
    /// the dynamic one, so it never interposes on libcurl for other code in the process (FoundationNetworking, once
    /// the runtime is linked statically, calls libcurl's `curl_easy_init` and must get libcurl's). Undefined `curl_*`
    /// references would be fine: they are calls into the real libcurl.so, resolved by the dynamic linker. There are
    /// none today, because libcurl is only dlopen'd, but the test does not forbid them.
    @Test func superviseDefinesNoCurlSymbolOfItsOwn() throws {
        func symbols(_ options: [String]) throws -> [(type: Character, name: String)] {
            let result = try runCommand("/usr/bin/nm", options + [Binaries.supervise], timeout: 120)
            try #require(result.code == 0, "nm \(options) \(Binaries.supervise): \(result.output.prefix(500))")
            return result.output.split(separator: "\n").compactMap { line in
                // `ADDRESS TYPE NAME`, or `TYPE NAME` behind blanks for an undefined symbol.
                let fields = line.split(separator: " ")
                guard fields.count >= 2, let type = fields[fields.count - 2].first, fields[fields.count - 2].count == 1 else {
                    return nil
                }
                return (type, String(fields[fields.count - 1]))
            }
        }
        let undefinedTypes: Set<Character> = ["U", "w", "v"]
        for options in [[], ["--dynamic"]] {
            let all = try symbols(options)
            let defined = all.filter { !undefinedTypes.contains($0.type) }
            #expect(defined.filter { $0.name.hasPrefix("curl_") }.map(\.name) == [], "nm \(options)")
            if options.isEmpty {
                // The same listing does hold the trampolines under their own names: nm read real symbols.
                #expect(defined.contains { $0.name == "csupervise_curl_easy_init" })
                #expect(defined.contains { $0.name == "csupervise_curl_multi_poll" })
            }
        }
    }
}

final class BodyCollector: @unchecked Sendable {
    // @unchecked: only touched by curl's callbacks on the calling thread.
    var data = Data()
}
