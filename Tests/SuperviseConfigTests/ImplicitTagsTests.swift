@testable import SuperviseConfig
import Testing
import Yams

/// The composer tags plain scalars by YAML 1.1's rules without Yams' default resolver (whose regular expressions bring
/// ICU into the daemon). These tests hold ``ImplicitTags`` to that resolver, which a test may use.
@Suite("Implicit tags as Yams' default resolver gives them")
struct ImplicitTagsTests {
    /// What Yams' default resolver makes of `text` as a plain scalar.
    static func yams(_ text: String) -> Yams.Tag.Name {
        Resolver.default.resolveTag(of: Node.scalar(Node.Scalar(text, .implicit, .plain)))
    }

    static let spellings = [
        // bool
        "yes", "Yes", "YES", "yEs", "no", "No", "NO", "true", "True", "TRUE", "tRue", "false", "False", "FALSE", "on",
        "On", "ON", "oN", "off", "Off", "OFF", "y", "n", "Y", "N", "yes ", "truee",
        // int
        "0", "-0", "+0", "1", "-1", "+12", "1_000", "01", "0_", "00", "017", "08", "0o17", "0o", "0o8", "-0o7", "0b",
        "0b101", "0b_", "0b2", "+0b1", "0x", "0x1F", "0xff_ff", "0xG", "-0x1", "190:20:30", "1:2", "1:60", "1:59",
        "1:5:", "0:20", "1__", "_1", "1e3", "12:345", "1:012",
        // float
        "1.0", "-1.5", "+.5", ".5", "._", ".", "-.", "1.", "1.e5", "1e", "1e+", "1e+5", "1E-5", ".5e5", ".5e+5",
        ".5E-1", "-.5e+1", ".inf", "-.inf", "+.Inf", ".INF", ".iNf", ".nan", ".NaN", ".NAN", "-.nan", "+.nan",
        "190:20:30.15", "1:2.", "1:2.3_", "09", "9_9.9_9", "1.2.3", "1:2:3e5", "-_1", "0.0",
        // merge, null, value
        "<<", "<", "<<<", "~", "~~", "null", "Null", "NULL", "nUll", "", "=", "==",
        // timestamp
        "2001-12-14", "2001-12-1", "2001-1-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
        "2001-12-14 21:59:43.10", "2002-12-14", "2001-12-14T21:59:43Z", "2001-12-14T21:59:43.Z", "2001-12-14\t9:59:43",
        "2001-12-14T21:59:43+01", "2001-12-14T21:59:43+01:0", "2001-12-14T21:59:43 +01:00", "2001-12-14T21:59:4",
        "2001-12-14T221:59:43", "20011-12-14", "2001-123-14", "2001-12-14T21:59:43.5 Z", "2001-12-14  1:00:00",
        "2001-12-14T", "2001-12-14 21:59:43 ",
        // text
        "worker", "/usr/bin/agent-sim", "90s", "1m30s", "+", "-", "é", "1é", "٣", "yes\u{301}", "0x1F\u{301}",
    ]

    @Test("every spelling the rules have a case for gets Yams' tag")
    func spellingsMatchYams() {
        for text in Self.spellings {
            #expect(ImplicitTags.tag(of: text) == Self.yams(text), "\(text.debugDescription)")
        }
    }

    @Test("20,000 texts made at random from the rules' characters get Yams' tags")
    func randomTextsMatchYams() {
        let alphabet = Array("0123456789_-+.:eEoObBxXaAfFTtZ inyYNrus~<=lL\t")
        var generator = SplitMix(seed: 0x5EED)
        var differences: [String] = []
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 14)
            var text = ""
            for _ in 0..<count { text.append(alphabet[Int(generator.next() % UInt64(alphabet.count))]) }
            // Shapes that the rules care about, with random characters in the places that matter.
            switch generator.next() % 4 {
            case 0: text = "2001-1\(text.prefix(1))-14\(text.dropFirst())"
            case 1: text = "1\(text.prefix(2)):\(text.dropFirst(2))"
            default: break
            }
            if ImplicitTags.tag(of: text) != Self.yams(text) { differences.append(text) }
        }
        #expect(differences.isEmpty, "tagged otherwise than by Yams: \(differences.prefix(20).map(\.debugDescription))")
    }

    @Test("a composed document has the tags Yams' default resolver gives, in keys and values, with tags and anchors in the text")
    func documentsMatchYams() throws {
        let yaml = """
            units:
              a: {command: [x, yes, 5, 0x1F, 1.5, ~, null, '5', "yes", !!str 5, ! yes, !!int "7", <<, =, 2001-12-14]}
              b:
                enabled: on
                count: &n 12
                again: *n
                tagged: &t !!str 12
                spaced: &s
                  !!str 13
                empty:
                list:
                  - off
                  - !!null ""
                  - .inf
              ~: null key
              yes: bool key
              "no": quoted key
              !!str 7: tagged key
            """
        guard case .composed(let ours) = YAMLComposer.compose(yaml), let root = ours.root else {
            Issue.record("the document did not compose")
            return
        }
        let reference = try #require(try Yams.compose(yaml: yaml))
        var compared = 0
        func walk(_ a: Node, _ b: Node, _ path: String) {
            #expect(a.tag.rawValue == b.tag.rawValue, "\(path): \(a.tag.rawValue) instead of \(b.tag.rawValue)")
            compared += 1
            switch (a, b) {
            case (.mapping(let x), .mapping(let y)):
                #expect(x.count == y.count, "\(path)")
                for (p, q) in zip(x, y) {
                    walk(p.key, q.key, "\(path)/key \(p.key.string ?? "?")")
                    walk(p.value, q.value, "\(path)/\(p.key.string ?? "?")")
                }
            case (.sequence(let x), .sequence(let y)):
                #expect(x.count == y.count, "\(path)")
                for (i, (p, q)) in zip(x, y).enumerated() { walk(p, q, "\(path)[\(i)]") }
            default:
                break
            }
        }
        walk(root, reference, "")
        #expect(compared > 40)
    }
}

/// A small seeded generator, so that a failure repeats.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
