import SuperviseExport
import Testing

/// Compose's cpus and memory as Kubernetes quantities.
struct QuantityTests {
    @Test(arguments: [("0.5", "500m"), ("1", "1"), ("2", "2"), ("1.5", "1500m"), ("0.25", "250m"), ("0.0001", "1m"),
                      (".5", "500m")])
    func cpusBecomeMillicoresOrWholeCPUs(cpus: String, quantity: String) throws {
        let milli = try #require(Quantities.milliCPU(cpus))
        #expect(Quantities.cpuQuantity(milli: milli) == quantity)
    }

    @Test(arguments: ["", "-1", "0", "abc", "1.2.3", "1e3"])
    func cpusThatAreNoAmount(cpus: String) {
        #expect(Quantities.milliCPU(cpus) == nil)
    }

    /// Docker's units are binary, so Compose's 512M is 512Mi, never the decimal 512M.
    @Test(arguments: [("512M", "512Mi"), ("512m", "512Mi"), ("512mb", "512Mi"), ("1G", "1Gi"), ("2g", "2Gi"),
                      ("1.5G", "1536Mi"), ("100k", "100Ki"), ("1073741824", "1Gi"), ("1000", "1000"), ("1t", "1Ti"),
                      ("10b", "10")])
    func memoryKeepsItsBinaryUnits(memory: String, quantity: String) throws {
        let bytes = try #require(Quantities.bytes(memory))
        #expect(Quantities.memoryQuantity(bytes: bytes) == quantity)
    }

    @Test(arguments: ["", "1 GB", "1x", "G", "-1G", "0"])
    func memoryThatIsNoAmount(memory: String) {
        #expect(Quantities.bytes(memory) == nil)
    }
}
