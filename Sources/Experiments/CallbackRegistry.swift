import Collectors
import Core
import Foundation
import Learner
import Reporting
import StateDictIO

/// What a configured callback can be built from.
public struct CallbackContext {
    /// The run directory (nil for runs without one, e.g. in tests).
    public let runDirectory: URL?
    public let config: ExperimentConfig
    public let statistics: RunControl
    /// Everything a checkpoint of the run holds at a training state (the run's `RunState`),
    /// with the replay memory when `includeMemory`.
    public let checkpointContents: (_ state: TrainingState, _ includeMemory: Bool) -> StateDict
    /// Seconds of training so far, over every session of a resumed run.
    public let seconds: () -> Double

    public init(runDirectory: URL?, config: ExperimentConfig, statistics: RunControl,
                checkpointContents: @escaping (_ state: TrainingState, _ includeMemory: Bool) -> StateDict, seconds: @escaping () -> Double) {
        self.runDirectory = runDirectory
        self.config = config
        self.statistics = statistics
        self.checkpointContents = checkpointContents
        self.seconds = seconds
    }
}

/// A kind of callback that configs can name in their `callbacks` section, like emloop's
/// hooks: a name, typed parameters with defaults, and a factory.
public struct CallbackKind: Sendable {
    public let name: String
    public let doc: String
    public let parameters: [ConfigKey]
    /// Whether it changes training (then its entry is part of the run identity); loggers
    /// and checkpointers do not.
    public let affectsTraining: Bool
    let make: @Sendable (CallbackSpec, CallbackContext) throws -> Callback?

    /// `parameters` are (name, type, doc, default) entries; `make` may return nil to add
    /// nothing in a context it cannot serve (a checkpointer without a run directory).
    public init(name: String, doc: String, parameters: [(String, ConfigType, String, ConfigValue)], affectsTraining: Bool,
                make: @escaping @Sendable (CallbackSpec, CallbackContext) throws -> Callback?) {
        self.name = name
        self.doc = doc
        self.parameters = parameters.map { ConfigKey("callbacks.\(name).\($0.0)", $0.1, $0.2, $0.3) }
        self.affectsTraining = affectsTraining
        self.make = make
    }
}

/// The callbacks configs can name. A value, like `EnvironmentRegistry`: a program with its
/// own callbacks registers them on a copy of `.builtIn` and passes it to the config loader
/// and the run.
public struct CallbackRegistry: Sendable {
    private var kinds: [String: CallbackKind] = [:]
    /// The list used when a config has no `callbacks` section.
    public var defaultList: [CallbackSpec] = []

    public init() {}

    public var names: [String] { kinds.keys.sorted() }
    public func kind(_ name: String) -> CallbackKind? { kinds[name] }

    public mutating func register(_ kind: CallbackKind) throws {
        guard kinds[kind.name] == nil else { throw ConfigError.invalid(path: "callbacks", detail: "a callback named '\(kind.name)' is already registered") }
        kinds[kind.name] = kind
    }

    /// The checkpointer, the metrics logger, the TensorBoard writer and the episode log.
    public static let builtIn: CallbackRegistry = {
        var registry = CallbackRegistry()
        try! registry.register(CallbackKind(
            name: "checkpointer", doc: "writes checkpoints into <run>/checkpoints every `every` updates and at the end, keeping the newest `keep`",
            parameters: [("every", .int(min: 1, max: nil), "updates between checkpoints", .int(5_000)),
                         ("keep", .int(min: 1, max: nil), "checkpoints kept", .int(3)),
                         ("save_memory", .bool, "include the replay memory (needed for an exact resume)", .bool(true))],
            affectsTraining: false) { spec, context in
            guard let directory = context.runDirectory else { return nil }
            let includeMemory = spec["save_memory"]!.boolValue!
            return Checkpointer(directory: directory.appendingPathComponent(RunFiles.checkpoints), every: spec["every"]!.intValue!,
                                keep: spec["keep"]!.intValue!, metadata: ["run_id": context.config.id, "config": context.config.yaml()],
                                saveMemory: includeMemory, contents: context.checkpointContents)
        })
        try! registry.register(CallbackKind(
            name: "metrics", doc: "appends a row to <run>/metrics.csv every `every` updates",
            parameters: [("every", .int(min: 1, max: nil), "updates between rows", .int(1_000))],
            affectsTraining: false) { spec, context in
            guard let directory = context.runDirectory else { return nil }
            return MetricsLogger(file: directory.appendingPathComponent(RunFiles.metrics), every: spec["every"]!.intValue!,
                                 statistics: context.statistics, metrics: context.config.definition.metrics, seconds: context.seconds)
        })
        try! registry.register(CallbackKind(
            name: "tensorboard",
            doc: "writes TensorBoard event files into <run>/tensorboard: every recorded metric, each training episode, evaluations and rates, against env steps",
            parameters: [("every", .int(min: 1, max: nil), "updates between scalar writes (episodes are all written)", .int(100))],
            affectsTraining: false) { spec, context in
            guard let directory = context.runDirectory else { return nil }
            return TensorBoardLogger(directory: directory.appendingPathComponent(RunFiles.tensorboard), every: spec["every"]!.intValue!,
                                     statistics: context.statistics, seconds: context.seconds) { state in
                state[RunKeys.evaluation].map { EvaluationPoint(updates: $0.updates, environmentSteps: $0.environmentSteps, mean: $0.mean, std: $0.std) }
            }
        })
        try! registry.register(CallbackKind(
            name: "episodes", doc: "appends every finished training episode to <run>/episodes.csv (return, length, seconds, env steps)",
            parameters: [("every", .int(min: 1, max: nil), "updates between writes to the file", .int(1_000))],
            affectsTraining: false) { spec, context in
            guard let directory = context.runDirectory else { return nil }
            return EpisodeLogger(file: directory.appendingPathComponent(RunFiles.episodes), every: spec["every"]!.intValue!,
                                 statistics: context.statistics, seconds: context.seconds)
        })
        registry.defaultList = ["checkpointer", "metrics", "tensorboard", "episodes"].map { registry.specWithDefaults($0) }
        return registry
    }()

    /// A registered callback with all its parameters at their defaults, as `adjusted` changes
    /// them (an algorithm's own defaults by path, e.g. `callbacks.metrics.every`).
    func specWithDefaults(_ name: String, adjusted: [String: ConfigValue] = [:]) -> CallbackSpec {
        let kind = kinds[name]!
        let defaults = kind.parameters.map { ConfigEntry(String($0.path.split(separator: ".").last!), adjusted[$0.path] ?? $0.defaultValue!) }
        var spec = CallbackSpec(name: name, parameters: defaults, affectsTraining: kind.affectsTraining)
        spec.defaults = defaults
        return spec
    }

    /// The default list with an algorithm's own defaults (PPO's updates are whole rollouts, so
    /// it logs every few of them where DQN logs every thousand updates).
    func defaultList(adjusted: [String: ConfigValue]) -> [CallbackSpec] {
        defaultList.map { specWithDefaults($0.name, adjusted: adjusted) }
    }

    /// Types a `callbacks` section: a list whose items are a name (`- metrics`) or a
    /// one-key mapping of a name to its parameters (`- checkpointer: {every: 5000}`), or to
    /// `false` to leave a default callback out (`- tensorboard: false`). The list is merged by
    /// name into the default list: a named default takes the given parameters, the others stay
    /// (a config that sets the checkpointer's cadence keeps its TensorBoard logs), and callbacks
    /// that are not defaults are added in order.
    func resolve(_ node: RawNode, adjusted: [String: ConfigValue] = [:]) throws -> [CallbackSpec] {
        var result = defaultList(adjusted: adjusted)
        if case .scalar(let text, false) = node.kind, text == "null" || text.isEmpty { return result }
        guard case .sequence(let items) = node.kind else {
            throw ConfigError.wrongType(path: "callbacks", line: node.line, expected: "a list of callbacks, e.g. [{checkpointer: {every: 5000}}]", got: node.what)
        }
        for (index, item) in items.enumerated() {
            let path = "callbacks[\(index)]"
            let name: String, parameters: RawNode?
            switch item.kind {
            case .scalar(let text, _): (name, parameters) = (text, nil)
            case .mapping(let entries) where entries.count == 1: (name, parameters) = (entries[0].key, entries[0].value)
            default:
                throw ConfigError.wrongType(path: path, line: item.line, expected: "a callback name or {name: {parameters}}", got: item.what)
            }
            guard let kind = kinds[name] else {
                throw ConfigError.unknownKey(path: "\(path).\(name)", line: item.line, known: names, suggestion: closest(to: name, in: names))
            }
            var given: [(key: String, keyLine: Int?, value: RawNode)] = []
            if let parameters {
                switch parameters.kind {
                case .mapping(let entries): given = entries
                case .scalar(let text, false) where text == "null" || text.isEmpty: break
                case .scalar(let text, false) where parseBool(text) == false:
                    result.removeAll { $0.name == name }
                    continue
                default:
                    throw ConfigError.wrongType(path: "\(path).\(name)", line: parameters.line, expected: "a mapping of parameters, or false to leave it out", got: parameters.what)
                }
            }
            let known = kind.parameters.map { String($0.path.split(separator: ".").last!) }
            for entry in given where !known.contains(entry.key) {
                throw ConfigError.unknownKey(path: "\(path).\(name).\(entry.key)", line: entry.keyLine, known: known,
                                             suggestion: closest(to: entry.key, in: known))
            }
            let defaults = specWithDefaults(name, adjusted: adjusted)
            let values = try kind.parameters.enumerated().map { offset, key -> ConfigEntry in
                let short = String(key.path.split(separator: ".").last!)
                if let entry = given.first(where: { $0.key == short }) {
                    let renamed = ConfigKey("\(path).\(name).\(short)", key.type, key.doc, nullable: key.nullable, key.defaultValue)
                    return ConfigEntry(short, try ConfigSchema.typed(entry.value, for: renamed))
                }
                return defaults.parameters[offset]
            }
            var spec = CallbackSpec(name: name, parameters: values, affectsTraining: kind.affectsTraining)
            spec.defaults = defaults.parameters
            if let existing = result.firstIndex(where: { $0.name == name }) {
                result[existing] = spec
            } else {
                result.append(spec)
            }
        }
        return result
    }

    /// Builds the configured callbacks for a run.
    func make(_ specs: [CallbackSpec], context: CallbackContext) throws -> [Callback] {
        try specs.compactMap { spec in
            guard let kind = kinds[spec.name] else {
                throw ConfigError.unknownKey(path: "callbacks.\(spec.name)", line: nil, known: names, suggestion: closest(to: spec.name, in: names))
            }
            return try kind.make(spec, context)
        }
    }
}
