/// A Swift type a config value reads as.
public protocol ConfigReadable: Sendable {
    /// The value of `configValue` as this type; nil when it holds another kind of value.
    init?(configValue: ConfigValue)
}

extension Int: ConfigReadable {
    public init?(configValue: ConfigValue) {
        guard let value = configValue.intValue else { return nil }
        self = value
    }
}

extension Double: ConfigReadable {
    public init?(configValue: ConfigValue) {
        guard let value = configValue.doubleValue else { return nil }
        self = value
    }
}

extension Bool: ConfigReadable {
    public init?(configValue: ConfigValue) {
        guard let value = configValue.boolValue else { return nil }
        self = value
    }
}

extension String: ConfigReadable {
    public init?(configValue: ConfigValue) {
        guard let value = configValue.stringValue else { return nil }
        self = value
    }
}

extension Array: ConfigReadable where Element: ConfigReadable {
    public init?(configValue: ConfigValue) {
        guard case .list(let items) = configValue else { return nil }
        var elements: [Element] = []
        for item in items {
            guard let element = Element(configValue: item) else { return nil }
            elements.append(element)
        }
        self = elements
    }
}

/// Named options (`ConfigType.options`) as entries in the config's order.
public struct ConfigOptions: ConfigReadable, Equatable {
    public var entries: [ConfigEntry]
    public var isEmpty: Bool { entries.isEmpty }
    public init(_ entries: [ConfigEntry]) { self.entries = entries }
    public init?(configValue: ConfigValue) {
        guard case .map(let entries) = configValue else { return nil }
        self.entries = entries
    }
}

/// A nullable key: `null` reads as nil.
extension Optional: ConfigReadable where Wrapped: ConfigReadable {
    public init?(configValue: ConfigValue) {
        if case .null = configValue {
            self = .none
        } else if let value = Wrapped(configValue: configValue) {
            self = .some(value)
        } else {
            return nil
        }
    }
}

/// A config key declared once, with the Swift type its value reads as: the schema takes its
/// `key`, code reads it as `config[SACKeys.tau]`. No code outside the schema reads a value by
/// its path, so a typo is a compile error, not a crash in the middle of a run.
///
///     static let tau = TypedKey<Double>("algorithm.tau", .float(min: 0, max: 1, minExclusive: true), "Polyak rate", .float(0.005))
///     let tau = config[SACKeys.tau]
public struct TypedKey<Value: ConfigReadable>: Sendable {
    /// The key as the schema holds it (path, type, range, doc, default).
    public let key: ConfigKey
    public var path: String { key.path }

    public init(_ path: String, _ type: ConfigType, _ doc: String, nullable: Bool = false, irrelevant: Bool = false, _ value: ConfigValue?) {
        key = ConfigKey(path, type, doc, nullable: nullable, irrelevant: irrelevant, value)
    }
}

extension ExperimentConfig {
    /// The value of `key`, which the config's schema must hold (its algorithm declares it, or
    /// opts into its group through its data flow).
    public subscript<Value>(key: TypedKey<Value>) -> Value {
        // Another declaration of the same path (PPO's minibatch `algorithm.batch_size` read on a
        // replay config) reads the right value today and the wrong one after a rename: the
        // tests' debug builds refuse it.
        assert(keysByPath[key.path]?.doc == key.key.doc, "config key \(key.path) read through a declaration \(algorithm) does not have")
        let value = self[key.path]
        guard let typed = Value(configValue: value) else {
            preconditionFailure("config key \(key.path) holds \(value), not a \(Value.self)")
        }
        return typed
    }
}
