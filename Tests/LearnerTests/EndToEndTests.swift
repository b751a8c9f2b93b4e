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
        var settings = SACSettings()
        settings.environmentID = "TargetAction-v0"
        settings.environmentSteps = 1_500
        settings.hidden = [32, 32]
        settings.batchSize = 64
        settings.learningStarts = 200
        settings.evaluateEvery = nil
        settings.evaluationEpisodes = 1
        let result = try SACExperiment.run(settings, registry: registry)
        // The deterministic action tanh(μ) lands near 0.5: return −(a − 0.5)² close to 0.
        #expect(result.evaluationMeanReturn > -0.02, "evaluation return \(result.evaluationMeanReturn)")
        #expect(result.updates > 1_000)
    }


    /// DQN on CartPole for a short budget: the greedy policy's return rises far above a
    /// random policy's (about 22).
    @Test func dqnLearnsCartPoleFarAboveRandom() throws {
        var settings = DQNSettings()
        settings.environmentSteps = 20_000
        settings.evaluateEvery = nil   // a fixed budget: no stopping once solved
        settings.seed = 2
        let result = try DQNExperiment.run(settings)
        #expect(result.environmentSteps >= 20_000)
        #expect(result.updates > 9_000, "the rate limit holds 0.5 updates per env step after learning starts")
        #expect(result.evaluationMeanReturn > 80, "greedy mean return \(result.evaluationMeanReturn); random is about 22")
    }

    /// SIGINT during training ends the run gracefully: the trainer stops, the collectors are
    /// joined, and the run still returns its result (no crash, no lost evaluation).
    @Test func sigintStopsTrainingGracefully() throws {
        var settings = DQNSettings()
        settings.environmentSteps = 10_000_000
        settings.evaluateEvery = nil
        settings.evaluationEpisodes = 1
        settings.hidden = [16]
        let signalled = ManagedAtomicFlag()
        let result = try DQNExperiment.run(settings) { progress in
            if progress.updates >= 1_000 && signalled.setOnce() { kill(getpid(), SIGINT) }
        }
        #expect(signalled.isSet)
        #expect(result.environmentSteps < settings.environmentSteps)
        #expect(result.updates >= 1_000)
    }

    @Test func aNaNFromTheEnvironmentStopsTheRunNamingEnvironmentAndStep() throws {
        var registry = EnvironmentRegistry.builtIn
        try registry.register(EnvironmentSpec(id: "Faulty-v0", maxEpisodeSteps: 100) { _ in FaultyEnvironment() })
        var settings = DQNSettings()
        settings.environmentID = "Faulty-v0"
        settings.environmentSteps = 10_000
        settings.hidden = [8]
        settings.learningStarts = 500
        #expect {
            _ = try DQNExperiment.run(settings, registry: registry)
        } throws: { error in
            let text = "\(error)"
            return text.contains("Faulty-v0") && text.contains("step 30") && text.contains("nan")
        }
    }
}
