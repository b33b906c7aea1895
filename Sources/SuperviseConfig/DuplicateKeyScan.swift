// CYaml is the libyaml that Yams itself parses with, built into the binary with Yams. Yams does not list it as a
// product, but SwiftPM hands its module map to every target that depends on Yams, so its event parser can be used
// here without a second copy of libyaml (whose yaml_* symbols would clash with these). Should Yams ever rename the
// module, this import fails to compile rather than misbehave.
import CYaml

/// One pass of libyaml's event parser over a text, to find what Yams reports only one at a time: the keys that
/// repeat an earlier key of the same mapping.
enum DuplicateKeyScan {
    /// A scalar key that repeats one before it in its mapping, where its node starts (1-based, as Yams' marks).
    struct Key: Equatable {
        var line: Int
        var column: Int
        /// The key's value, as the scalar reads.
        var text: String
    }

    /// A collection open at the current event.
    private enum Frame {
        case sequence
        /// `keys` seen so far; `atKey` whether the next node is a key (else a value).
        case mapping(keys: Set<String>, atKey: Bool)
    }

    /// Every scalar key that repeats an earlier scalar key of its mapping, in the order of the text; a key that is
    /// an alias or a collection is not compared. Stops at the first syntax error with what it found before it.
    static func repeatedKeys(in text: String) -> [Key] {
        let bytes = Array(text.utf8)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return [] }
        defer { yaml_parser_delete(&parser) }
        var found: [Key] = []
        var frames: [Frame] = []

        /// A node of the current collection has ended: in a mapping, a key is followed by a value and a value by a key.
        func nodeEnded() {
            guard case .mapping(let keys, let atKey) = frames.last else { return }
            frames[frames.count - 1] = .mapping(keys: keys, atKey: !atKey)
        }

        bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SCALAR_EVENT:
                    if case .mapping(var keys, true) = frames.last {
                        let scalar = event.data.scalar
                        let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length),
                                           as: UTF8.self)
                        if !keys.insert(value).inserted {
                            found.append(Key(line: event.start_mark.line + 1, column: event.start_mark.column + 1,
                                             text: value))
                        }
                        frames[frames.count - 1] = .mapping(keys: keys, atKey: true)
                    }
                    nodeEnded()
                case YAML_ALIAS_EVENT:
                    nodeEnded()
                case YAML_SEQUENCE_START_EVENT:
                    frames.append(.sequence)
                case YAML_MAPPING_START_EVENT:
                    frames.append(.mapping(keys: [], atKey: true))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    frames.removeLast()
                    nodeEnded()
                case YAML_STREAM_END_EVENT:
                    return
                default:
                    break
                }
            }
        }
        return found
    }
}
