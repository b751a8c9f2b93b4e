import Collectors
import Core
import Envs
import Experiments
import Learner
import Memory
import NN
import SeededRandom
import StateDictIO
import Testing

/// One-step episodes: reward −(a − 0.5)² for an action a in [−1, 1]; the best action is 0.5.
struct TargetActionEnvironment: Environment {
    let observationSpace = Box(low: [0], high: [1])
    let actionSpace = Space.box(Box(low: [-1], high: [1]))
    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws { observation[0] = 1 }
    mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        let a = try actionSpace.continuousValues(action, environment: "TargetAction-v0")[0]
        observation[0] = 1
        return StepResult(reward: -Double((a - 0.5) * (a - 0.5)), terminated: true)
    }
}

@Suite struct SACTests {
    @Test func sacCallbacksSaveAndRestoreTheirState() throws {
        let model = SACModel(observationSize: 3, actionSize: 1, hidden: [8], batchSize: 4, seed: 1)
        let callbacks: [Callback] = [SACCriticLoss(model: model), SACPolicyLoss(model: model), SACAlphaLoss(model: model)]
        model.logAlpha[0] = 0.25
        var dict = StateDict()
        for c in callbacks { dict.merge(c.stateDict(), prefix: c.name) }
        let other = SACModel(observationSize: 3, actionSize: 1, hidden: [8], batchSize: 4, seed: 2)
        let restored: [Callback] = [SACCriticLoss(model: other), SACPolicyLoss(model: other), SACAlphaLoss(model: other)]
        for c in restored { try c.loadStateDict(dict.scoped(c.name), loadNetwork: true, loadOptimizer: true, loadHparams: true) }
        #expect(other.logAlpha == [0.25])
        #expect(Array(other.actor.parameters) == Array(model.actor.parameters))
        #expect(Array(other.critic1.parameters) == Array(model.critic1.parameters))
        #expect(Array(other.target1.parameters) == Array(model.target1.parameters))
    }

    /// The α loss reads the log π the policy loss wrote in the same update; without the policy
    /// loss (or with it ordered after), it stops with an error instead of using stale values.
    @Test func theAlphaLossRefusesLogProbabilitiesOfAnotherUpdate() throws {
        let table = try ReplayTable(spec: TransitionSpec(observationSize: 1, action: .continuous(size: 1)), capacity: 16)
        let observation: [Float] = [0.5], action: [Float] = [0.1]
        for _ in 0..<16 {
            try observation.withUnsafeBufferPointer { o in try action.withUnsafeBufferPointer { a in
                try table.insert(TransitionView(observation: o, actionValues: a, reward: 1, terminated: false, nextObservation: o))
            } }
        }
        let model = SACModel(observationSize: 1, actionSize: 1, hidden: [4], batchSize: 4, seed: 1)
        let complete = Trainer(table: table, callbacks: model.callbacks(), batchSize: 4, minSize: 4, seed: 1)
        try complete.train(budget: TrainingBudget(updates: 3), statistics: RunControl())
        #expect(complete.state.metrics["alpha"] != nil && complete.state.metrics["entropy"] != nil)

        let withoutPolicy = Trainer(table: table, callbacks: model.callbacks().filter { !($0 is SACPolicyLoss) }, batchSize: 4, minSize: 4, seed: 1)
        #expect(throws: SACModel.OrderError.self) { try withoutPolicy.train(budget: TrainingBudget(updates: 3), statistics: RunControl()) }
        let withoutTarget = Trainer(table: table, callbacks: model.callbacks().filter { !($0 is SACTarget) }, batchSize: 4, minSize: 4, seed: 1)
        #expect(throws: SACModel.OrderError.self) { try withoutTarget.train(budget: TrainingBudget(updates: 3), statistics: RunControl()) }
    }
}
