import Foundation
import StateDictIO
import Yams

/// A value in a config: what YAML or JSON gives, after typing by the schema.
public indirect enum ConfigValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([ConfigValue])
    /// A mapping, in the order written.
    case map([ConfigEntry])

    /// The value in canonical, flow-style form: the text hashed for run identities and
    /// written into config files. Floats use Swift's shortest round-trip form, so `1e-3`,
    /// `0.001` and `0.0010` are all `0.001`; strings are JSON-quoted; maps keep their order.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d):
            if d.isNaN { return ".nan" }
            if d.isInfinite { return d > 0 ? ".inf" : "-.inf" }
            return "\(d)"
        case .string(let s): return Self.quoted(s)
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .map(let entries): return "{" + entries.map { "\(Self.quoted($0.key)): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// `s` as a quoted YAML (JSON) string.
    public static func quoted(_ s: String) -> String { jsonQuoted(s) }

    public var intValue: Int? { if case .int(let i) = self { return i } else { return nil } }
    public var doubleValue: Double? {
        switch self {
        case .float(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var isNull: Bool { self == .null }
}

/// One key of a mapping with its value.
public struct ConfigEntry: Hashable, Sendable {
    public var key: String
    public var value: ConfigValue
    public init(_ key: String, _ value: ConfigValue) {
        self.key = key
        self.value = value
    }
}

/// A value as parsed, before the schema types it: scalars keep their text and whether they
/// were quoted, and every node keeps its line for error messages. Public for the other files
/// a project reads with the same errors (sweep files).
public struct RawNode {
    public enum Kind {
        case scalar(text: String, quoted: Bool)
        case sequence([RawNode])
        case mapping([(key: String, keyLine: Int?, value: RawNode)])
    }
    public var kind: Kind
    public var line: Int?

    /// Parses YAML (or JSON, which YAML reads too). Syntax errors name the line.
    public static func parse(_ text: String, source: String) throws -> RawNode? {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            // Yams reports "LINE:COLUMN: error: ..."; say it in words.
            var detail = "\(error)"
            let parts = detail.split(separator: ":", maxSplits: 2)
            if parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) {
                detail = "line \(line), column \(column):" + parts[2].replacingOccurrences(of: " error:", with: "")
            }
            throw ConfigError.syntax(source: source, detail: detail)
        }
        return try node.map { try RawNode($0, source: source) }
    }

    init(kind: Kind, line: Int?) {
        self.kind = kind
        self.line = line
    }

    init(_ node: Node, source: String) throws {
        line = node.mark?.line
        switch node {
        case .scalar(let scalar):
            kind = .scalar(text: scalar.string, quoted: scalar.style == .singleQuoted || scalar.style == .doubleQuoted)
        case .sequence(let sequence):
            kind = .sequence(try sequence.map { try RawNode($0, source: source) })
        case .mapping(let mapping):
            var entries: [(key: String, keyLine: Int?, value: RawNode)] = []
            for (key, value) in mapping {
                guard case .scalar(let k) = key else {
                    throw ConfigError.syntax(source: source, detail: "line \(key.mark?.line ?? 0): a mapping key must be a plain name")
                }
                if entries.contains(where: { $0.key == k.string }) {
                    throw ConfigError.syntax(source: source, detail: "line \(key.mark?.line ?? 0): key '\(k.string)' appears twice")
                }
                entries.append((k.string, key.mark?.line, try RawNode(value, source: source)))
            }
            kind = .mapping(entries)
        case .alias:
            throw ConfigError.syntax(source: source, detail: "line \(node.mark?.line ?? 0): YAML aliases are not supported in configs")
        }
    }

    /// The node with every line number removed (for values that come from the command line).
    var withoutLines: RawNode {
        switch kind {
        case .scalar: return RawNode(kind: kind, line: nil)
        case .sequence(let items): return RawNode(kind: .sequence(items.map(\.withoutLines)), line: nil)
        case .mapping(let entries): return RawNode(kind: .mapping(entries.map { ($0.key, nil, $0.value.withoutLines) }), line: nil)
        }
    }

    /// A short description of what this node is, for type errors.
    public var what: String {
        switch kind {
        case .scalar(let text, let quoted): return quoted ? "the string \"\(text)\"" : "'\(text)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// A value with no schema to guide it (callback parameters of unknown type): plain
    /// scalars become bools, ints or floats where they read as such.
    public var untyped: ConfigValue {
        switch kind {
        case .scalar(let text, let quoted):
            if quoted { return .string(text) }
            if let i = Int(text) { return .int(i) }
            if let b = parseBool(text) { return .bool(b) }
            if text == "null" || text == "~" || text.isEmpty { return .null }
            if let d = parseDouble(text) { return .float(d) }
            return .string(text)
        case .sequence(let items): return .list(items.map(\.untyped))
        case .mapping(let entries): return .map(entries.map { ConfigEntry($0.key, $0.value.untyped) })
        }
    }
}

func parseBool(_ text: String) -> Bool? {
    switch text {
    case "true", "True", "TRUE", "yes", "Yes", "on": return true
    case "false", "False", "FALSE", "no", "No", "off": return false
    default: return nil
    }
}

func parseDouble(_ text: String) -> Double? {
    switch text {
    case ".inf", ".Inf", "+.inf": return .infinity
    case "-.inf", "-.Inf": return -.infinity
    case ".nan", ".NaN": return .nan
    default:
        // Swift's Double(String) accepts hex floats and "nan"/"inf" spellings YAML does not.
        guard text.allSatisfy({ $0.isNumber || "+-.eE_".contains($0) }) else { return nil }
        return Double(text.replacingOccurrences(of: "_", with: ""))
    }
}

/// Errors in a config, naming the key path (and line, when known) and what is allowed.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case syntax(source: String, detail: String)
    case unknownKey(path: String, line: Int?, known: [String], suggestion: String?)
    case wrongType(path: String, line: Int?, expected: String, got: String)
    case outOfRange(path: String, line: Int?, detail: String)
    case missing(path: String, detail: String)
    case invalid(path: String, detail: String)
    case unreadable(file: String, detail: String)

    /// The key path the error is about (empty for file-level errors).
    public var path: String {
        switch self {
        case .syntax, .unreadable: return ""
        case .unknownKey(let path, _, _, _), .wrongType(let path, _, _, _), .outOfRange(let path, _, _),
             .missing(let path, _), .invalid(let path, _):
            return path
        }
    }

    public var description: String {
        func at(_ line: Int?) -> String { line.map { " (line \($0))" } ?? "" }
        switch self {
        case let .syntax(source, detail): return "\(source): YAML syntax error: \(detail)"
        case let .unknownKey(path, line, known, suggestion):
            return "unknown key '\(path)'\(at(line))" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
                + (known.isEmpty ? "" : " Known keys here: \(known.joined(separator: ", ")).")
        case let .wrongType(path, line, expected, got): return "\(path)\(at(line)): expected \(expected), got \(got)"
        case let .outOfRange(path, line, detail): return "\(path)\(at(line)): \(detail)"
        case let .missing(path, detail): return "\(path) is required: \(detail)"
        case let .invalid(path, detail): return "\(path): \(detail)"
        case let .unreadable(file, detail): return "\(file): \(detail)"
        }
    }
}

/// The closest of `candidates` to `word` by edit distance, if it is close enough to be a typo.
public func closest(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let w = Array(word)
    let scored = candidates.map { ($0, distance(w, Array($0))) }.min { $0.1 < $1.1 }
    guard let (best, d) = scored, d <= max(2, word.count / 3) else { return nil }
    return best
}
