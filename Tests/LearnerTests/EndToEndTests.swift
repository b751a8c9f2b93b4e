import Collectors
import Envs
import Experiments
import Foundation
import Learner
import Memory
import NN
import SeededRandom
import Testing

/// A flag that can be set once, from any thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    /// Sets the flag; true only for the call that set it.
    func setOnce() -> Bool { lock.withLock { defer { value = true }; return !value } }
    var isSet: Bool { lock.withLock { value } }
}

/// An environment that returns NaN at its 30th step, to check the run stops with a clear error.
struct FaultyEnvironment: Environment {
    var t = 0
    let observationSpace = Box(low: [-1], high: [1])
    let actionSpace = Space.discrete(Discrete(2))
    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws { t = 0; observation[0] = 0 }
    mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        t += 1
        observation[0] = t == 30 ? .nan : 0
        return StepResult(reward: 0, terminated: false)
    }
}

/// Whole runs with collector threads. Serialized: the SIGINT test signals the whole test
/// process, which would also stop any other run in flight.
@Suite(.serialized) struct EndToEndTests {
    /// SAC's callbacks (target, twin critics, policy through the critics' action gradients, α)
    /// move the deterministic action to the optimum of a one-step problem.
    @Test func sacFindsTheBestActionOfAOneStepProblem() throws {
        var registry = EnvironmentRegistry.builtIn
        try registry.register(EnvironmentSpec(id: "TargetAction-v0", maxEpisodeSteps: 10) { _ in TargetActionEnvironment() })
        let config = try ExperimentConfig.defaults(.sac, environment: "TargetAction-v0", overrides: [
            "train.env_steps=1500", "network.hidden=[32, 32]", "algorithm.batch_size=64", "memory.min_size=200",
            "train.eval_every=null", "eval.episodes=1"], environments: registry)
        let result = try Experiment.run(config, options: RunOptions(environments: registry))
        // The deterministic action tanh(μ) lands near 0.5: return −(a − 0.5)² close to 0.
        let evaluation = try #require(result.evaluationMeanReturn)
        #expect(evaluation > -0.02, "evaluation return \(evaluation)")
        #expect(result.updates > 1_000)
    }

    /// DQN on CartPole for a short budget: the greedy policy's return rises far above a
    /// random policy's (about 22).
    @Test func dqnLearnsCartPoleFarAboveRandom() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: ["train.env_steps=20000", "train.eval_every=null", "train.seed=2"])
        let result = try Experiment.run(config)
        #expect(result.environmentSteps >= 20_000)
        #expect(result.updates > 9_000, "the rate limit holds 0.5 updates per env step after learning starts")
        let evaluation = try #require(result.evaluationMeanReturn)
        #expect(evaluation > 80, "greedy mean return \(evaluation); random is about 22")
        #expect(result.stoppedBy == .budget)
    }

    /// SIGINT during training ends the run gracefully: the trainer stops, the collectors are
    /// joined, a final checkpoint is written, and resuming from it continues the counters.
    @Test func sigintStopsTrainingGracefullyAndTheRunResumes() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sigint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=6000", "train.eval_every=null", "eval.episodes=1", "network.hidden=[16]", "train.log_every=100",
            "train.runs_dir=\(base.path)"])
        let signalled = ManagedAtomicFlag()
        var options = RunOptions()
        let clock = ContinuousClock()
        let signalledAt = ManagedAtomicInstant()
        options.progress = { progress in
            if progress.updates >= 300 && signalled.setOnce() {
                signalledAt.set(clock.now)
                kill(getpid(), SIGINT)
            }
        }
        guard case .finished(let result, let directory) = try RunLauncher.train(config, options: options) else {
            Issue.record("a new run must train")
            return
        }
        let stopped = clock.now
        #expect(signalled.isSet)
        #expect(result.stoppedBy == .signal)
        #expect(stopped - signalledAt.value! < .seconds(2), "stopped within 2 s of the signal")
        #expect(result.updates >= 300)
        #expect(result.environmentSteps < 6_000)
        #expect(RunDirectory.readResult(in: directory) == nil, "an interrupted run is not complete")
        let checkpoints = CheckpointLoader.checkpoints(in: directory.appendingPathComponent("checkpoints"))
        #expect(checkpoints.last?.lastPathComponent == String(format: "checkpoint_%09d.safetensors.gz", result.updates))

        // Starting the same config again resumes it: counters continue from the checkpoint.
        guard case .finished(let resumed, let resumedDirectory) = try RunLauncher.train(config) else {
            Issue.record("an interrupted run must resume")
            return
        }
        #expect(resumed.resumedFromUpdates == result.updates)
        #expect(resumedDirectory == directory)
        #expect(resumed.environmentSteps >= 6_000)
        #expect(resumed.stoppedBy == .budget)
        #expect(RunDirectory.readResult(in: resumedDirectory) != nil)
        // And a third start reports the complete run instead of training again.
        guard case .alreadyComplete = try RunLauncher.train(config) else {
            Issue.record("a complete run must not train twice")
            return
        }
    }

    @Test func aNaNFromTheEnvironmentStopsTheRunNamingEnvironmentAndStep() throws {
        var registry = EnvironmentRegistry.builtIn
        try registry.register(EnvironmentSpec(id: "Faulty-v0", maxEpisodeSteps: 100) { _ in FaultyEnvironment() })
        let config = try ExperimentConfig.defaults(.dqn, environment: "Faulty-v0", overrides: [
            "train.env_steps=10000", "network.hidden=[8]", "memory.min_size=500"], environments: registry)
        #expect {
            _ = try Experiment.run(config, options: RunOptions(environments: registry))
        } throws: { error in
            let text = "\(error)"
            return text.contains("Faulty-v0") && text.contains("step 30") && text.contains("nan")
        }
    }
}

/// An instant set once from the progress callback.
final class ManagedAtomicInstant: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: ContinuousClock.Instant?
    func set(_ value: ContinuousClock.Instant) { lock.withLock { instant = value } }
    var value: ContinuousClock.Instant? { lock.withLock { instant } }
}
