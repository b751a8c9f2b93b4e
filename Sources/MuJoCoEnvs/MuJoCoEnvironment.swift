#if MuJoCo
import Envs
import SeededRandom

/// A Gymnasium MuJoCo task stepped natively: one `mjData` of its own on a shared read-only
/// model, reset and stepped in Gymnasium's call order, with reset noise drawn exactly as NumPy
/// draws it (`NumPyGenerator`), so `reset(seed: s)` gives Gymnasium's observation bit for bit.
///
/// Observations are computed in float64, as Gymnasium's are (`observation64`), and handed to
/// the learner as float32.
public struct MuJoCoEnvironment<Task: MuJoCoTask>: Environment {
    public let task: Task
    public let simulation: MuJoCoSimulation
    let initialState: MuJoCoInitialState
    var random: NumPyGenerator
    /// The last observation in float64, as Gymnasium returns it.
    public let observation64: UnsafeMutableBufferPointer<Double>
    let observationStorage: ObservationStorage
    public let observationSpace: Box
    public let actionSpace: Space

    public init(task: Task, model: MuJoCoModel, seed: UInt64) {
        self.task = task
        simulation = MuJoCoSimulation(model: model)
        initialState = MuJoCoInitialState(model: model)
        random = NumPyGenerator(seed: seed)
        let size = task.observationSize(model)
        observationStorage = ObservationStorage(count: size)
        observation64 = observationStorage.buffer
        observationSpace = Box(low: -.infinity, high: .infinity, shape: [size], dtype: .float64)
        let range = model.controlRange
        actionSpace = .box(Box(low: range.low.map { Float($0) }, high: range.high.map { Float($0) }))
    }

    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        if let seed { random = NumPyGenerator(seed: seed) }
        simulation.resetData()
        task.resetModel(simulation, initialState: initialState, random: &random)
        writeObservation(observation)
    }

    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        let values = try actionSpace.continuousValues(action, environment: Task.id)
        let (reward, terminated) = task.step(simulation, action: values)
        writeObservation(observation)
        return StepResult(reward: reward, terminated: terminated)
    }

    func writeObservation(_ observation: UnsafeMutableBufferPointer<Float>) {
        task.observe(simulation, into: observation64.baseAddress!)
        for i in 0..<observation64.count { observation[i] = Float(observation64[i]) }
    }
}

/// Owns the float64 observation buffer (freed with the last copy of the environment).
final class ObservationStorage {
    let buffer: UnsafeMutableBufferPointer<Double>
    init(count: Int) { buffer = .allocate(capacity: count); buffer.initialize(repeating: 0) }
    deinit { buffer.deallocate() }
}

extension MuJoCoEnvironment: StateOverridable {
    /// qpos then qvel, as right after Gymnasium's reset.
    public var stateLayout: [String] {
        (0..<simulation.model.nq).map { "qpos[\($0)]" } + (0..<simulation.model.nv).map { "qvel[\($0)]" }
    }

    /// Sets qpos and qvel (Gymnasium's `set_state`, which ends with `mj_forward`).
    public mutating func overrideState(_ state: [Double]) throws {
        let nq = simulation.model.nq, nv = simulation.model.nv
        guard state.count == nq + nv else {
            throw EnvironmentError.invalidState(environment: Task.id, detail: "\(state.count) values; expected qpos (\(nq)) then qvel (\(nv))")
        }
        guard state.allSatisfy(\.isFinite) else {
            throw EnvironmentError.invalidState(environment: Task.id, detail: "the state has a non-finite value")
        }
        state.withUnsafeBufferPointer { all in
            simulation.setState(qpos: UnsafeBufferPointer(rebasing: all[0..<nq]), qvel: UnsafeBufferPointer(rebasing: all[nq...]))
        }
    }
}

extension MuJoCoEnvironment: DoublePrecisionObservations {
    public var lastObservation: [Double] { Array(observation64) }
}

extension MuJoCoEnvironment: SnapshotEnvironment {
    /// MuJoCo's integration state, then the random stream.
    public func snapshot() -> [UInt64] { simulation.snapshot() + random.stateWords }

    public mutating func restore(snapshot: [UInt64]) throws {
        let size = simulation.stateSize, rngWords = NumPyGenerator.stateWordCount
        guard snapshot.count == size + rngWords else {
            throw EnvironmentError.invalidState(environment: Task.id, detail: "snapshot has \(snapshot.count) words; expected \(size + rngWords)")
        }
        guard let restored = NumPyGenerator(stateWords: Array(snapshot[size...])) else {
            throw EnvironmentError.invalidState(environment: Task.id, detail: "the random stream's state is invalid")
        }
        simulation.restore(snapshot[..<size])
        random = restored
    }
}
#endif
