/// The algorithms configs can name. A value, like `EnvironmentRegistry` and `CallbackRegistry`:
/// a program with its own algorithm registers it on a copy of `.builtIn` and passes that to the
/// config loader (`ExperimentConfig.load(file:algorithms:)`); the loaded config carries its
/// algorithm into the run.
public struct AlgorithmRegistry: Sendable {
    private var algorithms: [AlgorithmName: Algorithm] = [:]

    public init() {}

    /// Registered names, sorted.
    public var names: [String] { algorithms.keys.map(\.rawValue).sorted() }
    public func algorithm(_ name: AlgorithmName) -> Algorithm? { algorithms[name] }
    /// The names, sorted, of the registered algorithms for which `isIncluded` holds.
    public func names(where isIncluded: (Algorithm) -> Bool) -> [String] {
        algorithms.values.filter(isIncluded).map(\.name.rawValue).sorted()
    }

    public mutating func register(_ algorithm: Algorithm) throws {
        guard algorithms[algorithm.name] == nil else {
            throw ConfigError.invalid(path: "algorithm.name", detail: "an algorithm named '\(algorithm.name)' is already registered")
        }
        // The keys every config has, and those of the algorithm's data flow (the replay group).
        let common = Set((ConfigSchema.common + algorithm.dataFlow.keys).map(\.path))
        for key in algorithm.keys where common.contains(key.path) {
            throw ConfigError.invalid(path: key.path, detail: "\(algorithm.name) declares a common key (or one of its \(algorithm.dataFlow.name) flow's) as its own; change its default through `defaults`")
        }
        // Callback parameters (`callbacks.metrics.every`) are checked against the callback registry when a config resolves.
        for path in algorithm.defaults.keys where !common.contains(path) && !path.hasPrefix("callbacks.") {
            throw ConfigError.invalid(path: path, detail: "\(algorithm.name) changes the default of a key that is neither common nor of its \(algorithm.dataFlow.name) flow, nor a callback parameter")
        }
        algorithms[algorithm.name] = algorithm
    }

    /// DQN, SAC, TD3, PPO and A2C.
    public static let builtIn: AlgorithmRegistry = {
        var registry = AlgorithmRegistry()
        for algorithm in [Algorithm.dqn, Algorithm.sac, Algorithm.td3, Algorithm.ppo, Algorithm.a2c] { try! registry.register(algorithm) }
        return registry
    }()
}
