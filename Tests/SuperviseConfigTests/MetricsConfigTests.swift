import SuperviseConfig
import SuperviseCore
import Testing

@Suite("metrics: the Prometheus listener")
struct MetricsConfigTests {
    let expected = "an IP address and port, such as 127.0.0.1:9469 or [::1]:9469"

    @Test("no metrics key, no listener; an empty one listens on loopback 9469; an address is taken as written")
    func addresses() throws {
        #expect(try ConfigLoader.parse(yaml: "units: {}\n", file: testFile).metrics.listen == nil)
        #expect(try ConfigLoader.parse(yaml: "units: {}\nmetrics: {}\n", file: testFile).metrics.listen
            == ListenAddress(host: "127.0.0.1", port: 9469))
        let v6 = try ConfigLoader.parse(yaml: "units: {}\nmetrics: {listen: \"[::1]:9470\"}\n", file: testFile).metrics.listen
        #expect(v6 == ListenAddress(host: "::1", port: 9470))
        #expect(v6?.description == "[::1]:9470" && v6?.isLoopback == true)
        let any = try ConfigLoader.parse(yaml: "units: {}\nmetrics: {listen: 0.0.0.0:9469}\n", file: testFile).metrics.listen
        #expect(any?.host == "0.0.0.0" && any?.isLoopback == false)
    }

    @Test("a host name, a bad port, a bad address and a misplaced key are errors at their line and column")
    func invalid() {
        for (text, found) in [("localhost:9469", "\"localhost:9469\""), ("127.0.0.1:0", "\"127.0.0.1:0\""),
                              ("127.0.0.1:65536", "\"127.0.0.1:65536\""), ("127.0.0.1", "\"127.0.0.1\""),
                              ("1.2.3:9469", "\"1.2.3:9469\""), ("[::1]9469", "\"[::1]9469\"")] {
            #expect(errors("units: {}\nmetrics:\n  listen: \"\(text)\"\n") == [
                error(3, 11, "metrics.listen", found: found, expected: expected),
            ], "\(text)")
        }
        #expect(errors("units: {}\nmetrics: {port: 9469}\n").first?.description.contains(
            "metrics.port: found unknown key \"port\", expected a key of metrics (give the address and port in listen") == true)
    }
}
