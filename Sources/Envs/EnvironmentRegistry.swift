/// How to make one registered environment, and what is known about it.
public struct EnvironmentSpec: Sendable {
    /// The id environments are made by, e.g. `"CartPole-v1"`.
    public let id: String
    /// The time limit `make` wraps the environment in; nil for none.
    public let maxEpisodeSteps: Int?
    /// The mean return at which the task counts as solved (Gymnasium's `reward_threshold`).
    public let rewardThreshold: Double?
    /// A one-line description for listings.
    public let summary: String
    /// Builds the environment with the given time limit (nil: none), seeded with `seed`.
    let factory: @Sendable (_ maxEpisodeSteps: Int?, _ seed: UInt64) throws -> any Environment

    /// Registers a factory for a concrete environment type; `make` adds the `TimeLimit`.
    public init<E: Environment & SendableMetatype>(
        id: String, maxEpisodeSteps: Int?, rewardThreshold: Double? = nil, summary: String = "",
        make: @escaping @Sendable (_ seed: UInt64) -> E
    ) {
        self.id = id
        self.maxEpisodeSteps = maxEpisodeSteps
        self.rewardThreshold = rewardThreshold
        self.summary = summary
        self.factory = { limit, seed in
            let env = make(seed)
            if let limit { return TimeLimit(env, maxEpisodeSteps: limit, name: id) }
            return env
        }
    }

    /// Registers a factory that can fail (a model file to load, a library this build lacks):
    /// its error reaches whoever makes the environment, naming what is missing.
    public init<E: Environment & SendableMetatype>(
        id: String, maxEpisodeSteps: Int?, rewardThreshold: Double? = nil, summary: String = "",
        makeThrowing make: @escaping @Sendable (_ seed: UInt64) throws -> E
    ) {
        self.id = id
        self.maxEpisodeSteps = maxEpisodeSteps
        self.rewardThreshold = rewardThreshold
        self.summary = summary
        self.factory = { limit, seed in
            let env = try make(seed)
            if let limit { return TimeLimit(env, maxEpisodeSteps: limit, name: id) }
            return env
        }
    }
}

/// The environments that can be made by id. A value: the default set is `.builtIn`, and a
/// program that adds its own environments registers them on a copy and passes that copy on
/// (to the config loader, the trainer, the CLI); there is no process-wide registry.
///
///     var registry = EnvironmentRegistry.builtIn
///     try registry.register(EnvironmentSpec(id: "Corridor-v0", maxEpisodeSteps: 100) { _ in Corridor() })
///     var env = try registry.make("Corridor-v0", seed: 1)
///
/// Making an unknown id throws an error that lists the known ids.
public struct EnvironmentRegistry: Sendable {
    private var specs: [String: EnvironmentSpec] = [:]

    /// An empty registry.
    public init() {}

    /// Gymnasium's five classic-control environments with their default time limits.
    public static let builtIn: EnvironmentRegistry = {
        var registry = EnvironmentRegistry()
        let builtIns = [
            EnvironmentSpec(id: "CartPole-v1", maxEpisodeSteps: 500, rewardThreshold: 475,
                            summary: "balance a pole on a cart; +1 per step") { CartPole(seed: $0) },
            EnvironmentSpec(id: "Pendulum-v1", maxEpisodeSteps: 200, rewardThreshold: nil,
                            summary: "swing a pendulum up and hold it; continuous torque") { Pendulum(seed: $0) },
            EnvironmentSpec(id: "MountainCar-v0", maxEpisodeSteps: 200, rewardThreshold: -110,
                            summary: "drive an underpowered car up a hill; -1 per step") { MountainCar(seed: $0) },
            EnvironmentSpec(id: "MountainCarContinuous-v0", maxEpisodeSteps: 999, rewardThreshold: 90,
                            summary: "mountain car with continuous force; +100 at the goal") { MountainCarContinuous(seed: $0) },
            EnvironmentSpec(id: "Acrobot-v1", maxEpisodeSteps: 500, rewardThreshold: -100,
                            summary: "swing a two-link arm above the bar; -1 per step") { Acrobot(seed: $0) },
        ]
        for spec in builtIns { try! registry.register(spec) }  // distinct literal ids: cannot fail
        return registry
    }()

    /// Adds an environment. Throws `duplicateRegistration` if the id is taken.
    public mutating func register(_ spec: EnvironmentSpec) throws {
        guard specs[spec.id] == nil else { throw EnvironmentError.duplicateRegistration(id: spec.id) }
        specs[spec.id] = spec
    }

    /// Registers `spec`, replacing whatever was registered under its id (a variant of a task
    /// with other options).
    public mutating func replace(_ spec: EnvironmentSpec) {
        specs[spec.id] = spec
    }

    /// The registered ids, sorted.
    public var ids: [String] { specs.keys.sorted() }

    /// The spec registered under `id`, or an `unknownEnvironment` error listing the known ids.
    public func spec(_ id: String) throws -> EnvironmentSpec {
        guard let spec = specs[id] else { throw EnvironmentError.unknownEnvironment(id: id, known: ids) }
        return spec
    }

    /// Makes the environment registered under `id`, wrapped in its time limit.
    ///
    /// - Parameters:
    ///   - maxEpisodeSteps: overrides the registered time limit (`.some(nil)` removes it).
    ///   - seed: seeds the environment's own random stream (a later `reset(seed:)` reseeds it).
    public func make(_ id: String, maxEpisodeSteps: Int?? = .none, seed: UInt64 = 0) throws -> any Environment {
        let spec = try spec(id)
        let limit: Int? = maxEpisodeSteps ?? spec.maxEpisodeSteps
        return try spec.factory(limit, seed)
    }
}

/// What a listing shows about one registered environment.
public struct EnvironmentInfo: Sendable {
    public var id: String
    public var observationSpace: Box
    public var actionSpace: Space
    public var maxEpisodeSteps: Int?
    public var rewardThreshold: Double?
    public var summary: String
    /// Why the environment cannot be made here (for example a library this build lacks); nil when it can.
    public var unavailable: String?
}

extension EnvironmentRegistry {
    /// One entry per registered environment, sorted by id (each environment is made once to read
    /// its spaces; one that cannot be made here is listed with the reason and empty spaces).
    public func catalog() throws -> [EnvironmentInfo] {
        try ids.map { id in
            let spec = try spec(id)
            do {
                let env = try spec.factory(spec.maxEpisodeSteps, 0)
                return EnvironmentInfo(id: id, observationSpace: env.observationSpace, actionSpace: env.actionSpace,
                                       maxEpisodeSteps: spec.maxEpisodeSteps, rewardThreshold: spec.rewardThreshold,
                                       summary: spec.summary)
            } catch {
                return EnvironmentInfo(id: id, observationSpace: Box(low: [], high: []), actionSpace: .box(Box(low: [], high: [])),
                                       maxEpisodeSteps: spec.maxEpisodeSteps, rewardThreshold: spec.rewardThreshold,
                                       summary: spec.summary, unavailable: "\(error)")
            }
        }
    }
}
