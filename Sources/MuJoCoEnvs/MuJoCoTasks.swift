import Envs
import Shared

/// Gymnasium's MuJoCo tasks, registered under Gymnasium's ids with its time limits and reward
/// thresholds. Built with the `MuJoCo` trait they step natively; without it the ids are still
/// known, and making one says how to get an rl-train that has MuJoCo.
///
///     var registry = EnvironmentRegistry.builtIn
///     try registry.registerMuJoCoTasks()
///     var cheetah = try registry.make("HalfCheetah-v5", seed: 1)
///
/// `env.kwargs` (Gymnasium's `gym.make` keyword options) give a task's variant:
/// `MuJoCoTasks.spec(id:options:)`.
public enum MuJoCoTasks {
    /// What is registered for one task.
    public struct Entry: Sendable {
        public let id: String
        public let maxEpisodeSteps: Int
        public let rewardThreshold: Double?
        public let summary: String
        let makeSpec: @Sendable (MuJoCoOptions) throws -> EnvironmentSpec
    }

    /// True when this build steps MuJoCo (the `MuJoCo` trait).
    public static var isAvailable: Bool {
        #if MuJoCo
        return true
        #else
        return false
        #endif
    }

    /// Every task, in Gymnasium's order.
    public static let all: [Entry] = [
        entry("InvertedPendulum-v5", 1000, 950, "balance a pole on a cart (MuJoCo); +1 per step", task: { try InvertedPendulumTask(options: $0) }),
        entry("InvertedDoublePendulum-v5", 1000, 9100, "balance two poles on a cart (MuJoCo)", task: { try InvertedDoublePendulumTask(options: $0) }),
        entry("HalfCheetah-v5", 1000, 4800, "run forward with a planar cheetah (MuJoCo)", task: { try HalfCheetahTask(options: $0) }),
        entry("Hopper-v5", 1000, 3800, "hop forward on one leg without falling (MuJoCo)", task: { try HopperTask(options: $0) }),
        entry("Swimmer-v5", 1000, 360, "swim forward with three links (MuJoCo)", task: { try SwimmerTask(options: $0) }),
        entry("Walker2d-v5", 1000, nil, "walk forward on two legs without falling (MuJoCo)", task: { try Walker2dTask(options: $0) }),
        entry("Ant-v5", 1000, 6000, "walk forward on four legs (MuJoCo)", task: { try AntTask(options: $0) }),
    ]

    /// The spec of task `id` with `options` (`env.kwargs`), or nil when `id` is not a MuJoCo task.
    public static func spec(id: String, options: MuJoCoOptions = MuJoCoOptions()) throws -> EnvironmentSpec? {
        guard let entry = all.first(where: { $0.id == id }) else { return nil }
        return try entry.makeSpec(options)
    }

    #if MuJoCo
    typealias InvertedPendulumTask = InvertedPendulum
    typealias InvertedDoublePendulumTask = InvertedDoublePendulum
    typealias HalfCheetahTask = HalfCheetah
    typealias HopperTask = Hopper
    typealias SwimmerTask = Swimmer
    typealias Walker2dTask = Walker2d
    typealias AntTask = Ant

    /// Models are compiled once per file and shared by every environment made from them.
    private static let models = Locked<[String: MuJoCoModel]>([:])

    static func model(file: String) throws -> MuJoCoModel {
        try models.withLock { models in
            if let model = models[file] { return model }
            let model = try MuJoCoModel(file: file)
            models[file] = model
            return model
        }
    }

    private static func entry<Task: MuJoCoTask>(_ id: String, _ limit: Int, _ threshold: Double?, _ summary: String,
                                                task: @escaping @Sendable (MuJoCoOptions) throws -> Task) -> Entry {
        Entry(id: id, maxEpisodeSteps: limit, rewardThreshold: threshold, summary: summary) { options in
            let made = try task(options)   // options are checked here, before any environment is made
            let file = try options.modelFile(id: id)
            return EnvironmentSpec(id: id, maxEpisodeSteps: limit, rewardThreshold: threshold, summary: summary, makeThrowing: { seed in
                let model = try model(file: file ?? GymnasiumAssets.path(of: Task.modelFile, for: id))
                return MuJoCoEnvironment(task: made, model: model, seed: seed)
            })
        }
    }
    #else
    /// Stands in for a task in a build without MuJoCo: its options are not read.
    struct Unbuilt { init(options: MuJoCoOptions) throws {} }
    typealias InvertedPendulumTask = Unbuilt
    typealias InvertedDoublePendulumTask = Unbuilt
    typealias HalfCheetahTask = Unbuilt
    typealias HopperTask = Unbuilt
    typealias SwimmerTask = Unbuilt
    typealias Walker2dTask = Unbuilt
    typealias AntTask = Unbuilt

    private static func entry(_ id: String, _ limit: Int, _ threshold: Double?, _ summary: String,
                              task: @escaping @Sendable (MuJoCoOptions) throws -> Unbuilt) -> Entry {
        Entry(id: id, maxEpisodeSteps: limit, rewardThreshold: threshold, summary: summary) { _ in
            EnvironmentSpec(id: id, maxEpisodeSteps: limit, rewardThreshold: threshold, summary: summary, makeThrowing: { _ -> NeverMade in
                throw MuJoCoError.notBuilt(id: id)
            })
        }
    }

    /// The environment type of a spec that always throws.
    struct NeverMade: Environment {
        var observationSpace: Box { Box(low: [], high: []) }
        var actionSpace: Space { .box(Box(low: [], high: [])) }
        mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {}
        mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult { StepResult(reward: 0, terminated: true) }
    }
    #endif
}

extension EnvironmentRegistry {
    /// Gymnasium's classic-control tasks and its MuJoCo tasks: what `rl-train` offers by name.
    public static let standard: EnvironmentRegistry = {
        var registry = EnvironmentRegistry.builtIn
        try! registry.registerMuJoCoTasks()  // ids distinct from the classic ones: cannot fail
        return registry
    }()

    /// Adds every MuJoCo task with its default options.
    public mutating func registerMuJoCoTasks() throws {
        for entry in MuJoCoTasks.all { try register(entry.makeSpec(MuJoCoOptions())) }
    }
}
