/// The name of a registered algorithm (`AlgorithmRegistry`): `.dqn`, `.sac`, `.td3`, or any
/// name a program registers.
public struct AlgorithmName: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let dqn: AlgorithmName = "dqn"
    public static let sac: AlgorithmName = "sac"
    public static let td3: AlgorithmName = "td3"
    public static let ppo: AlgorithmName = "ppo"
    public static let a2c: AlgorithmName = "a2c"
}

/// The type of a config key, with its allowed range.
public enum ConfigType: Sendable {
    case int(min: Int?, max: Int?)
    case float(min: Double?, max: Double?, minExclusive: Bool)
    case bool
    case string
    case choice([String])
    case intList(min: Int, max: Int)
    case stringList
    /// Named options: numbers (infinities allowed), booleans, strings, or lists of numbers.
    case options

    var summary: String {
        switch self {
        case .int(let lo, let hi): return "an integer" + Self.range(lo.map(Double.init), hi.map(Double.init), false)
        case .float(let lo, let hi, let exclusive): return "a number" + Self.range(lo, hi, exclusive)
        case .bool: return "true or false"
        case .string: return "a string"
        case .choice(let options): return "one of \(options.joined(separator: ", "))"
        case .intList(let lo, let hi): return "a list of integers in [\(lo), \(hi)]"
        case .stringList: return "a list of strings"
        case .options: return "a mapping of option names to numbers, booleans, strings or lists of numbers"
        }
    }

    static func range(_ lo: Double?, _ hi: Double?, _ exclusive: Bool) -> String {
        func f(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
        switch (lo, hi) {
        case let (lo?, hi?): return " in \(exclusive ? "(" : "[")\(f(lo)), \(f(hi))]"
        case let (lo?, nil): return exclusive ? " > \(f(lo))" : " ≥ \(f(lo))"
        case let (nil, hi?): return " ≤ \(f(hi))"
        default: return ""
        }
    }
}

/// One key of the config schema: its path, type, default and a one-line doc. An algorithm
/// declares its own keys (`Algorithm.keys`) and may change the defaults of common ones
/// (`Algorithm.defaults`).
public struct ConfigKey: Sendable {
    public let path: String
    public let type: ConfigType
    public let doc: String
    /// Whether `null` is allowed (the doc says what null means).
    public let nullable: Bool
    /// Left out of the run identity: it does not change what is trained (threads, paths, log intervals).
    public let runIrrelevant: Bool
    /// The default; nil when the key is required.
    public let defaultValue: ConfigValue?

    public init(_ path: String, _ type: ConfigType, _ doc: String, nullable: Bool = false, irrelevant: Bool = false, _ value: ConfigValue?) {
        self.path = path
        self.type = type
        self.doc = doc
        self.nullable = nullable
        runIrrelevant = irrelevant
        defaultValue = value
    }

    /// The same key with another default.
    func withDefault(_ value: ConfigValue) -> ConfigKey {
        ConfigKey(path, type, doc, nullable: nullable, irrelevant: runIrrelevant, value)
    }

    public var section: String { String(path.split(separator: ".").first!) }
    public var name: String { String(path.split(separator: ".").dropFirst().joined(separator: ".")) }
}

/// The keys every config may hold, whatever its algorithm. Sections `env` and `algorithm` are
/// required (with `env.id` and `algorithm.name`); everything else has a default, which an
/// algorithm may change (`Algorithm.defaults`); an algorithm adds its own `algorithm.*` keys.
public enum ConfigSchema {
    /// Part of every run identity; bump it when a default, the way runs are seeded or the
    /// checkpoint layout changes (see `ExperimentConfig.canonicalForm`).
    public static let identityVersion = 4

    /// The sections in the order configs are written.
    public static let sections = ["env", "algorithm", "network", "memory", "collectors", "train", "eval", "callbacks"]

    /// The keys every config holds, whatever its algorithm and data flow.
    public static let common: [ConfigKey] = EnvKeys.all + AlgorithmKeys.all + NetworkKeys.all + CollectorsKeys.all + TrainKeys.all + EvalKeys.all

    /// The keys of a config of an algorithm with these own keys, the keys of its data flow's
    /// group and changed defaults: the common and group keys with the algorithm's defaults, by
    /// section, its own keys after the other `algorithm.*` ones.
    static func keys(own: [ConfigKey], group: [ConfigKey], defaults: [String: ConfigValue]) -> [ConfigKey] {
        let shared = (common + group).enumerated()
            .sorted { (sections.firstIndex(of: $0.element.section) ?? sections.count, $0.offset) < (sections.firstIndex(of: $1.element.section) ?? sections.count, $1.offset) }
            .map { defaults[$0.element.path].map($0.element.withDefault) ?? $0.element }
        let lastAlgorithmKey = shared.lastIndex { $0.section == "algorithm" }!
        return Array(shared[...lastAlgorithmKey]) + own + Array(shared[(lastAlgorithmKey + 1)...])
    }

    /// Types a raw node by `key`'s type; errors name the path and line.
    static func typed(_ node: RawNode, for key: ConfigKey) throws -> ConfigValue {
        let path = key.path
        func wrong() -> ConfigError { .wrongType(path: path, line: node.line, expected: key.type.summary + (key.nullable ? " or null" : ""), got: node.what) }
        if case .scalar(let text, false) = node.kind, text == "null" || text == "~" || text.isEmpty {
            guard key.nullable else { throw wrong() }
            return .null
        }
        let value: ConfigValue
        switch key.type {
        case .int:
            guard case .scalar(let text, false) = node.kind, let i = Int(text.replacingOccurrences(of: "_", with: "")) else {
                // Allow 1e5-style integers written as floats when exact.
                if case .scalar(let text, false) = node.kind, let d = parseDouble(text), d == d.rounded(), abs(d) < 1e15 {
                    value = .int(Int(d))
                    break
                }
                throw wrong()
            }
            value = .int(i)
        case .float:
            guard case .scalar(let text, false) = node.kind, let d = parseDouble(text) else { throw wrong() }
            guard d.isFinite else { throw ConfigError.outOfRange(path: path, line: node.line, detail: "must be finite, got \(text)") }
            value = .float(d)
        case .bool:
            guard case .scalar(let text, false) = node.kind, let b = parseBool(text) else { throw wrong() }
            value = .bool(b)
        case .string:
            guard case .scalar(let text, _) = node.kind else { throw wrong() }
            value = .string(text)
        case .choice(let options):
            guard case .scalar(let text, _) = node.kind else { throw wrong() }
            guard options.contains(text) else {
                throw ConfigError.outOfRange(path: path, line: node.line, detail: "'\(text)' is not one of \(options.joined(separator: ", "))")
            }
            value = .string(text)
        case .intList:
            guard case .sequence(let items) = node.kind, !items.isEmpty else { throw wrong() }
            value = .list(try items.map { item in
                guard case .scalar(let text, false) = item.kind, let i = Int(text) else {
                    throw ConfigError.wrongType(path: path, line: item.line, expected: key.type.summary, got: item.what)
                }
                return .int(i)
            })
        case .options:
            guard case .mapping(let entries) = node.kind else { throw wrong() }
            func option(_ node: RawNode, _ name: String) throws -> ConfigValue {
                switch node.kind {
                case .scalar(let text, true):
                    return .string(text)
                case .scalar(let text, false):
                    if let b = parseBool(text) { return .bool(b) }
                    if let i = Int(text) { return .int(i) }
                    if let d = parseDouble(text), !d.isNaN { return .float(d) }
                    return .string(text)
                case .sequence(let items):
                    return .list(try items.map { item in
                        guard case .scalar(let text, false) = item.kind, let d = parseDouble(text), !d.isNaN else {
                            throw ConfigError.wrongType(path: "\(path).\(name)", line: item.line, expected: "a number", got: item.what)
                        }
                        return Int(text).map(ConfigValue.int) ?? .float(d)
                    })
                default:
                    throw ConfigError.wrongType(path: "\(path).\(name)", line: node.line, expected: "a number, boolean, string or list of numbers", got: node.what)
                }
            }
            value = .map(try entries.map { ConfigEntry($0.key, try option($0.value, $0.key)) })
        case .stringList:
            guard case .sequence(let items) = node.kind else { throw wrong() }
            value = .list(try items.map { item in
                guard case .scalar(let text, _) = item.kind else {
                    throw ConfigError.wrongType(path: path, line: item.line, expected: key.type.summary, got: item.what)
                }
                return .string(text)
            })
        }
        try checkRange(value, key: key, line: node.line)
        return value
    }

    static func checkRange(_ value: ConfigValue, key: ConfigKey, line: Int?) throws {
        switch (key.type, value) {
        case let (.int(lo, hi), .int(i)):
            if let lo, i < lo { throw ConfigError.outOfRange(path: key.path, line: line, detail: "\(i) is below the minimum \(lo) (allowed: \(key.type.summary))") }
            if let hi, i > hi { throw ConfigError.outOfRange(path: key.path, line: line, detail: "\(i) is above the maximum \(hi) (allowed: \(key.type.summary))") }
        case let (.float(lo, hi, exclusive), .float(d)):
            if let lo, exclusive ? d <= lo : d < lo {
                throw ConfigError.outOfRange(path: key.path, line: line, detail: "\(d) is out of range (allowed: \(key.type.summary))")
            }
            if let hi, d > hi { throw ConfigError.outOfRange(path: key.path, line: line, detail: "\(d) is out of range (allowed: \(key.type.summary))") }
        case let (.intList(lo, hi), .list(items)):
            for case .int(let i) in items where i < lo {
                throw ConfigError.outOfRange(path: key.path, line: line, detail: "\(i) is below the minimum \(lo)")
            }
            for case .int(let i) in items where i > hi {
                throw ConfigError.outOfRange(path: key.path, line: line, detail: "\(i) is above the maximum \(hi)")
            }
        default: break
        }
    }
}

/// The `env` section: the environment, its time limit, bridge command and normalisation.
public enum EnvKeys {
    public static let id = TypedKey<String>("env.id", .string, "environment id from the registry (rl-train envs lists them)", nil)
    public static let maxEpisodeSteps = TypedKey<Int?>("env.max_episode_steps", .int(min: 1, max: nil), "time limit per episode; null: the registered one", nullable: true, .null)
    public static let command = TypedKey<[String]?>("env.command", .stringList,
                      "run the environment as this command, in its own process per environment, speaking the bridge protocol (python/swiftrl_bridge.py), e.g. [python3, my_env.py]; env.id names it. null: env.id is a registered environment",
                      nullable: true, .null)
    public static let version = TypedKey<String?>("env.version", .string,
                      "a version of the environment, part of the run identity (a bridged environment's script files are hashed into it already)",
                      nullable: true, .null)
    public static let kwargs = TypedKey<ConfigOptions>("env.kwargs", .options,
                      "the environment's keyword options, as Gymnasium's gym.make(id, **kwargs), e.g. {ctrl_cost_weight: 0.05} for HalfCheetah-v5; {}: its defaults",
                      .map([]))
    public static let normalizeObservations = TypedKey<Bool>("env.normalize_observations", .bool,
                      "normalise observations with running mean and variance, saved with the model and frozen for evaluation (SB3's VecNormalize; on-policy algorithms)",
                      .bool(false))
    public static let normalizeRewards = TypedKey<Bool>("env.normalize_rewards", .bool,
                      "scale rewards by the running standard deviation of the discounted return (SB3's VecNormalize; on-policy algorithms)", .bool(false))

    /// Every key of the section, in the order configs are written.
    public static let all: [ConfigKey] = [id.key, maxEpisodeSteps.key, command.key, version.key, kwargs.key, normalizeObservations.key, normalizeRewards.key]
}

/// The keys of the `algorithm` section every algorithm has; an algorithm declares its own beside them.
public enum AlgorithmKeys {
    public static let name = TypedKey<String>("algorithm.name", .string, "a registered algorithm (rl-train config algorithms lists them)", nil)
    public static let learningRate = TypedKey<Double>("algorithm.lr", .float(min: 0, max: nil, minExclusive: true), "Adam learning rate", .float(1e-3))
    public static let gamma = TypedKey<Double>("algorithm.gamma", .float(min: 0, max: 1, minExclusive: true), "discount factor", .float(0.99))

    /// Every key of the section, in the order configs are written.
    public static let all: [ConfigKey] = [name.key, learningRate.key, gamma.key]
}

/// The `network` section.
public enum NetworkKeys {
    public static let hidden = TypedKey<[Int]>("network.hidden", .intList(min: 1, max: 65_536), "hidden layer sizes", .list([.int(256), .int(256)]))
    public static let initialization = TypedKey<String>("network.init", .choice(["pytorch", "orthogonal"]),
                      "weight initialisation: pytorch (nn.Linear's default) or orthogonal (gain √2, output layer 1, zero biases)", .string("pytorch"))

    /// Every key of the section, in the order configs are written.
    public static let all: [ConfigKey] = [hidden.key, initialization.key]
}

/// The `collectors` section: collector threads, their environments, remote collectors.
public enum CollectorsKeys {
    public static let count = TypedKey<Int>("collectors.count", .int(min: 0, max: 64), "collector threads in the learner's process (0: remote collectors only, with collectors.serve)", .int(1))
    public static let serve = TypedKey<Int?>("collectors.serve", .int(min: 1, max: 65_535),
                      "TCP port where the learner accepts remote collectors (rl-train collect --learner HOST:PORT; needs the Remote build); null: none",
                      nullable: true, irrelevant: true, .null)
    public static let environments = TypedKey<Int>("collectors.num_envs", .int(min: 1, max: 4096), "environments per collector, stepped as a batch", .int(1))

    /// Every key of the section, in the order configs are written.
    public static let all: [ConfigKey] = [count.key, serve.key, environments.key]
}

/// The `train` section: seed, budget, evaluation cadence, the solve rule, run names and outputs.
public enum TrainKeys {
    public static let seed = TypedKey<Int>("train.seed", .int(min: 0, max: nil), "seed of every random stream of the run", .int(1))
    public static let environmentSteps = TypedKey<Int>("train.env_steps", .int(min: 1, max: nil), "budget: environment steps", .int(50_000))
    public static let updates = TypedKey<Int?>("train.updates", .int(min: 1, max: nil), "budget: learner updates; null: no limit", nullable: true, .null)
    public static let deterministic = TypedKey<Bool>("train.deterministic", .bool,
                      "one collector stepped inline with a fixed interleave of env steps and updates: bit-identical reruns and resumes", .bool(false))
    public static let evalEvery = TypedKey<Int?>("train.eval_every", .int(min: 1, max: nil), "learner updates between evaluations; null: evaluate only at the end",
                      nullable: true, .int(1_000))
    public static let stopAtThreshold = TypedKey<Bool>("train.stop_at_threshold", .bool, "stop once the run is solved", .bool(true))
    public static let solvedMargin = TypedKey<Double>("train.solved_margin", .float(min: 0, max: nil, minExclusive: false),
                      "z of the one-sided prediction bound (mean − z·std·√(1/n + 1/m) over the n episodes of an evaluation and its confirmation, for a fresh evaluation of m = eval.episodes) that must reach the threshold to count as solved, and that ranks candidates for the best policy; 1.645: 95%, 0: the means alone",
                      .float(1.645))
    public static let threshold = TypedKey<Double?>("train.threshold", .float(min: nil, max: nil, minExclusive: false),
                      "mean return that counts as solved (an evaluation, its confirmation and their confidence bound reach it); null: the environment's (Pendulum-v1: −200)", nullable: true, .null)
    public static let blasThreads = TypedKey<Int>("train.blas_threads", .int(min: 1, max: 64), "OpenBLAS threads for the learner", irrelevant: true, .int(1))
    public static let learnerThreads = TypedKey<Int>("train.learner_threads", .int(min: 1, max: 2),
                      "threads of the learner's update: 2 runs SAC's twin critics on two cores (bit-identical results; pair it with blas_threads: 1)",
                      irrelevant: true, .int(1))
    public static let logEvery = TypedKey<Int>("train.log_every", .int(min: 1, max: nil), "learner updates between progress lines", irrelevant: true, .int(500))
    public static let runsDir = TypedKey<String>("train.runs_dir", .string, "folder that holds run directories", irrelevant: true, .string("runs"))
    public static let name = TypedKey<String?>("train.name", .string, "run name (the directory is <name>-<id8>); null: <algorithm>-<env id>", nullable: true,
                      irrelevant: true, .null)
    public static let tags = TypedKey<[String]>("train.tags", .stringList, "key paths whose values go into the run name and result tables, e.g. [algorithm.lr]",
                      irrelevant: true, .list([]))

    /// Every key of the section, in the order configs are written.
    public static let all: [ConfigKey] = [seed.key, environmentSteps.key, updates.key, deterministic.key, evalEvery.key, stopAtThreshold.key, solvedMargin.key, threshold.key, blasThreads.key, learnerThreads.key, logEvery.key, runsDir.key, name.key, tags.key]
}

/// The `eval` section.
public enum EvalKeys {
    public static let episodes = TypedKey<Int>("eval.episodes", .int(min: 1, max: nil),
                      "episodes per evaluation (one reaching the threshold is confirmed by as many more on other seeds)", .int(20))
    public static let deterministic = TypedKey<Bool>("eval.deterministic", .bool, "act greedily (dqn) or with the mean action (sac)", .bool(true))
    public static let environmentID = TypedKey<String?>("eval.env_id", .string, "evaluate on another environment; null: env.id", nullable: true, .null)
    public static let maxEpisodeSteps = TypedKey<Int?>("eval.max_episode_steps", .int(min: 1, max: nil), "evaluation time limit; null: env.max_episode_steps", nullable: true, .null)

    /// Every key of the section, in the order configs are written.
    public static let all: [ConfigKey] = [episodes.key, deterministic.key, environmentID.key, maxEpisodeSteps.key]
}
