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

        let easy = try #require(curl_easy_init())
        defer { curl_easy_cleanup(easy) }
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
        let multi = try #require(curl_multi_init())
        defer { curl_multi_cleanup(multi) }
        #expect(csupervise_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 16) == CURLM_OK)
        #expect(curl_multi_add_handle(multi, easy) == CURLM_OK)
        var running: Int32 = 1
        let deadline = Date().addingTimeInterval(10)
        while running > 0 && Date() < deadline {
            _ = curl_multi_perform(multi, &running)
            if running > 0 { _ = curl_multi_poll(multi, nil, 0, 100, nil) }
        }
        curl_multi_remove_handle(multi, easy)

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
}

final class BodyCollector: @unchecked Sendable {
    // @unchecked: only touched by curl's callbacks on the calling thread.
    var data = Data()
}
