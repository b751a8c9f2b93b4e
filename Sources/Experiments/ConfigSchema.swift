/// The algorithms a config can name.
public enum AlgorithmName: String, Sendable, CaseIterable {
    case dqn, sac
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

    var summary: String {
        switch self {
        case .int(let lo, let hi): return "an integer" + Self.range(lo.map(Double.init), hi.map(Double.init), false)
        case .float(let lo, let hi, let exclusive): return "a number" + Self.range(lo, hi, exclusive)
        case .bool: return "true or false"
        case .string: return "a string"
        case .choice(let options): return "one of \(options.joined(separator: ", "))"
        case .intList(let lo, let hi): return "a list of integers in [\(lo), \(hi)]"
        case .stringList: return "a list of strings"
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

/// One key of the config schema: its path, type, default per algorithm and a one-line doc.
public struct ConfigKey: Sendable {
    public let path: String
    public let type: ConfigType
    public let doc: String
    /// Whether `null` is allowed (the doc says what null means).
    public let nullable: Bool
    /// Left out of the run identity: it does not change what is trained (threads, paths, log intervals).
    public let runIrrelevant: Bool
    /// The algorithms the key applies to (nil: all).
    public let algorithms: [AlgorithmName]?
    let defaults: @Sendable (AlgorithmName) -> ConfigValue?

    init(_ path: String, _ type: ConfigType, _ doc: String, nullable: Bool = false, irrelevant: Bool = false,
         only: [AlgorithmName]? = nil, default value: @escaping @Sendable (AlgorithmName) -> ConfigValue?) {
        self.path = path
        self.type = type
        self.doc = doc
        self.nullable = nullable
        runIrrelevant = irrelevant
        algorithms = only
        defaults = value
    }

    init(_ path: String, _ type: ConfigType, _ doc: String, nullable: Bool = false, irrelevant: Bool = false,
         only: [AlgorithmName]? = nil, _ value: ConfigValue?) {
        self.init(path, type, doc, nullable: nullable, irrelevant: irrelevant, only: only, default: { _ in value })
    }

    /// The default for `algorithm`; nil when the key is required.
    public func defaultValue(for algorithm: AlgorithmName) -> ConfigValue? { defaults(algorithm) }

    public var section: String { String(path.split(separator: ".").first!) }
    public var name: String { String(path.split(separator: ".").dropFirst().joined(separator: ".")) }

    func applies(to algorithm: AlgorithmName) -> Bool { algorithms.map { $0.contains(algorithm) } ?? true }
}

/// Every key a config may hold. Sections `env` and `algorithm` are required (with `env.id`
/// and `algorithm.name`); everything else has a default, which may depend on the algorithm.
public enum ConfigSchema {
    /// Part of every run identity; bump it when a default, the way runs are seeded or the
    /// checkpoint layout changes (see `ExperimentConfig.canonicalForm`).
    public static let identityVersion = 2

    /// The sections in the order configs are written.
    public static let sections = ["env", "algorithm", "network", "memory", "collectors", "train", "eval", "callbacks"]

    private static func by(_ dqn: ConfigValue, _ sac: ConfigValue) -> @Sendable (AlgorithmName) -> ConfigValue? {
        { $0 == .dqn ? dqn : sac }
    }

    public static let keys: [ConfigKey] = [
        ConfigKey("env.id", .string, "environment id from the registry (rl-train envs lists them)", nil),
        ConfigKey("env.max_episode_steps", .int(min: 1, max: nil), "time limit per episode; null: the registered one", nullable: true, .null),
        ConfigKey("env.command", .stringList,
                  "run the environment as this command, in its own process per environment, speaking the bridge protocol (python/swiftrl_bridge.py), e.g. [python3, my_env.py]; env.id names it. null: env.id is a registered environment",
                  nullable: true, .null),

        ConfigKey("algorithm.name", .choice(AlgorithmName.allCases.map(\.rawValue)), "dqn (discrete actions) or sac (continuous actions)", nil),
        ConfigKey("algorithm.lr", .float(min: 0, max: nil, minExclusive: true), "Adam learning rate", .float(1e-3)),
        ConfigKey("algorithm.gamma", .float(min: 0, max: 1, minExclusive: true), "discount factor", .float(0.99)),
        ConfigKey("algorithm.batch_size", .int(min: 1, max: nil), "transitions per learner update", default: by(.int(64), .int(256))),
        ConfigKey("algorithm.updates_per_step", .float(min: 1e-4, max: 1e4, minExclusive: false),
                  "learner updates per environment step (the replay ratio, held by the rate limiter)", default: by(.float(0.5), .float(1))),
        ConfigKey("algorithm.n_step", .int(min: 1, max: 100), "rewards folded into one transition on the collector side", .int(1)),
        ConfigKey("algorithm.double_dqn", .bool, "choose the next action with the online network", only: [.dqn], default: by(.bool(true), .null)),
        ConfigKey("algorithm.target_update_every", .int(min: 1, max: nil), "updates between hard target-network copies (when tau is null)",
                  only: [.dqn], default: by(.int(128), .null)),
        ConfigKey("algorithm.tau", .float(min: 0, max: 1, minExclusive: true),
                  "Polyak rate for target networks after every update; dqn: null means hard copies", nullable: true,
                  default: by(.null, .float(0.005))),
        ConfigKey("algorithm.initial_epsilon", .float(min: 0, max: 1, minExclusive: false), "ε-greedy: ε at the start",
                  only: [.dqn], default: by(.float(1), .null)),
        ConfigKey("algorithm.final_epsilon", .float(min: 0, max: 1, minExclusive: false), "ε-greedy: ε after exploration_steps",
                  only: [.dqn], default: by(.float(0.04), .null)),
        ConfigKey("algorithm.exploration_steps", .int(min: 0, max: nil), "ε-greedy: environment steps over which ε falls linearly",
                  only: [.dqn], default: by(.int(8_000), .null)),
        ConfigKey("algorithm.initial_alpha", .float(min: 0, max: nil, minExclusive: true), "entropy coefficient α at the start",
                  only: [.sac], default: by(.null, .float(1))),
        ConfigKey("algorithm.target_entropy", .float(min: nil, max: nil, minExclusive: false),
                  "entropy α is tuned toward; null: −(action dimensions)", nullable: true, only: [.sac], default: by(.null, .null)),

        ConfigKey("algorithm.exploration_noise", .choice(["white", "pink", "red"]),
                  "the collectors' action noise: white (SAC's own Gaussian draws), pink (1/f, temporally correlated: Eberhard et al. 2023; finds MountainCarContinuous' goal) or red (1/f²)",
                  only: [.sac], default: by(.null, .string("white"))),

        ConfigKey("network.hidden", .intList(min: 1, max: 65_536), "hidden layer sizes", default: by(.list([.int(64), .int(64)]), .list([.int(256), .int(256)]))),

        ConfigKey("memory.capacity", .int(min: 1, max: nil), "transitions kept (oldest overwritten first)", default: by(.int(100_000), .int(1_000_000))),
        ConfigKey("memory.min_size", .int(min: 1, max: nil), "transitions stored before learning starts", default: by(.int(1_000), .int(256))),

        ConfigKey("collectors.count", .int(min: 1, max: 64), "collector threads", .int(1)),
        ConfigKey("collectors.num_envs", .int(min: 1, max: 4096), "environments per collector, stepped as a batch", default: by(.int(4), .int(1))),
        ConfigKey("collectors.publish_every", .int(min: 1, max: nil), "learner updates between weight snapshots for the collectors",
                  default: by(.int(10), .int(1))),

        ConfigKey("train.seed", .int(min: 0, max: nil), "seed of every random stream of the run", .int(1)),
        ConfigKey("train.env_steps", .int(min: 1, max: nil), "budget: environment steps", default: by(.int(50_000), .int(20_000))),
        ConfigKey("train.updates", .int(min: 1, max: nil), "budget: learner updates; null: no limit", nullable: true, .null),
        ConfigKey("train.deterministic", .bool,
                  "one collector stepped inline with a fixed interleave of env steps and updates: bit-identical reruns and resumes", .bool(false)),
        ConfigKey("train.eval_every", .int(min: 1, max: nil), "learner updates between evaluations; null: evaluate only at the end",
                  nullable: true, default: by(.int(1_000), .int(250))),
        ConfigKey("train.stop_at_threshold", .bool, "stop once an evaluation reaches the threshold", .bool(true)),
        ConfigKey("train.threshold", .float(min: nil, max: nil, minExclusive: false),
                  "mean return that counts as solved (an evaluation and its confirmation both reach it); null: the environment's (Pendulum-v1: −200)", nullable: true, .null),
        ConfigKey("train.blas_threads", .int(min: 1, max: 64), "OpenBLAS threads for the learner", irrelevant: true, .int(1)),
        ConfigKey("train.log_every", .int(min: 1, max: nil), "learner updates between progress lines", irrelevant: true, .int(500)),
        ConfigKey("train.runs_dir", .string, "folder that holds run directories", irrelevant: true, .string("runs")),
        ConfigKey("train.name", .string, "run name (the directory is <name>-<id8>); null: <algorithm>-<env id>", nullable: true,
                  irrelevant: true, .null),
        ConfigKey("train.tags", .stringList, "key paths whose values go into the run name and result tables, e.g. [algorithm.lr]",
                  irrelevant: true, .list([])),

        ConfigKey("eval.episodes", .int(min: 1, max: nil),
                  "episodes per evaluation (one reaching the threshold is confirmed by as many more on other seeds)", .int(20)),
        ConfigKey("eval.deterministic", .bool, "act greedily (dqn) or with the mean action (sac)", .bool(true)),
        ConfigKey("eval.env_id", .string, "evaluate on another environment; null: env.id", nullable: true, .null),
        ConfigKey("eval.max_episode_steps", .int(min: 1, max: nil), "evaluation time limit; null: env.max_episode_steps", nullable: true, .null),
    ]

    static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })

    /// The keys of `section`, in schema order.
    public static func keys(in section: String) -> [ConfigKey] { keys.filter { $0.section == section } }

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
