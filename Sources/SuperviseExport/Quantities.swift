/// Compose's CPU and memory amounts, and Kubernetes' quantities for them.
///
/// Compose's `cpus: '0.5'` is half a CPU: Kubernetes writes `500m` (millicores); whole CPUs stay whole (`"2"`).
/// Compose's memory units are binary, as Docker reads them (`512m`, `512M`, `512mb` = 512 × 1024² bytes): Kubernetes
/// writes them with its binary suffixes (`512Mi`, `1Gi`), exactly, never rounded to a decimal `512M`.
public enum Quantities {
    static let cpusExpected = "a number of CPUs such as 0.5, '1' or '2.25'"
    static let memoryExpected = "an amount of memory such as 512M, 1G, 1.5g or 1073741824 (bytes)"

    /// `cpus` in millicores; nil unless a positive number with at most three decimals' worth of precision used
    /// (smaller fractions are rounded up to the next millicore).
    public static func milliCPU(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: " ")
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              trimmed.filter({ $0 == "." }).count <= 1, let value = Double(trimmed), value > 0, value < 1e9 else {
            return nil
        }
        return Int((value * 1000).rounded(.up))
    }

    /// A memory amount in bytes: a number (`1073741824`) or a number and a unit `b`, `k`, `m`, `g` (`kb`, `mb`, `gb`,
    /// any case), 1024-based as Docker reads them; nil otherwise.
    public static func bytes(_ text: String) -> Int64? {
        let lower = text.trimmingCharacters(in: " ").lowercased()
        let number = lower.prefix { $0.isNumber || $0 == "." }
        var unit = lower.dropFirst(number.count)
        if unit.hasSuffix("b"), unit.count > 1 { unit = unit.dropLast() }
        let factors: [Substring: Double] = ["": 1, "b": 1, "k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024,
                                            "t": 1024 * 1024 * 1024 * 1024]
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, let value = Double(number),
              let factor = factors[unit], value > 0 else { return nil }
        let bytes = (value * factor).rounded(.up)
        guard bytes < 9e18 else { return nil }
        return Int64(bytes)
    }

    /// Kubernetes' CPU quantity: `"2"` for whole CPUs, else millicores, `500m`.
    public static func cpuQuantity(milli: Int) -> String {
        milli % 1000 == 0 ? String(milli / 1000) : "\(milli)m"
    }

    /// Kubernetes' memory quantity with the largest binary suffix that divides it exactly (`2Gi`, `512Mi`,
    /// `1536Mi`), or bytes.
    public static func memoryQuantity(bytes: Int64) -> String {
        for (suffix, factor) in [("Ti", Int64(1) << 40), ("Gi", Int64(1) << 30), ("Mi", Int64(1) << 20), ("Ki", Int64(1) << 10)]
        where bytes % factor == 0 {
            return "\(bytes / factor)\(suffix)"
        }
        return String(bytes)
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}
