import Foundation
import Envs
import SeededRandom
import Testing

/// A scripted environment for tests: emits its step count as the observation, and can be told
/// to end episodes, return NaN or throw at given steps.
struct ScriptedEnvironment: Environment {
    var episodeLength = 3
    var nanAtStep: Int?
    var throwAtStep: Int?
    var resets = 0
    var stepInEpisode = 0
    let observationSpace = Box(low: [0, 0], high: [1000, 1000])
    let actionSpace = Space.discrete(Discrete(2))

    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }

    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        resets += 1
        stepInEpisode = 0
        observation[0] = 0
        observation[1] = Float(resets)
    }

    mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        _ = try actionSpace.discreteIndex(action, environment: "Scripted")
        stepInEpisode += 1
        if stepInEpisode == throwAtStep { throw Boom() }
        observation[0] = stepInEpisode == nanAtStep ? .nan : Float(stepInEpisode)
        observation[1] = Float(resets)
        return StepResult(reward: 1, terminated: stepInEpisode == episodeLength)
    }
}

func withObservation<R>(_ size: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
    var storage = [Float](repeating: 0, count: size)
    return try storage.withUnsafeMutableBufferPointer { try body($0) }
}

@Suite struct RegistryTests {
    @Test func unknownIdListsTheKnownIds() {
        #expect {
            _ = try EnvironmentRegistry.builtIn.make("CartPole-v0")
        } throws: { error in
            let text = "\(error)"
            return text.contains("CartPole-v0") && text.contains("CartPole-v1") && text.contains("Acrobot-v1")
        }
    }

    @Test func customEnvironmentRegistersAndIsMadeByIdWithItsTimeLimit() throws {
        var registry = EnvironmentRegistry.builtIn
        try registry.register(EnvironmentSpec(id: "Scripted-v0", maxEpisodeSteps: 2) { _ in
            ScriptedEnvironment(episodeLength: 100)
        })
        #expect(registry.ids.contains("Scripted-v0"))
        var env = try registry.make("Scripted-v0")
        try withObservation(2) { obs in
            try env.reset(seed: 1, observation: obs)
            #expect(try env.step(.discrete(0), observation: obs) == StepResult(reward: 1, terminated: false, truncated: false))
            #expect(try env.step(.discrete(0), observation: obs) == StepResult(reward: 1, terminated: false, truncated: true))
        }
        #expect(throws: EnvironmentError.duplicateRegistration(id: "Scripted-v0")) {
            try registry.register(EnvironmentSpec(id: "Scripted-v0", maxEpisodeSteps: nil) { _ in ScriptedEnvironment() })
        }
        // The built-in registry itself is untouched: registries are values.
        #expect(!EnvironmentRegistry.builtIn.ids.contains("Scripted-v0"))
    }

    @Test func catalogDescribesEveryBuiltIn() throws {
        let catalog = try EnvironmentRegistry.builtIn.catalog()
        #expect(catalog.map(\.id) == ["Acrobot-v1", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"])
        let cartPole = try #require(catalog.first { $0.id == "CartPole-v1" })
        #expect(cartPole.maxEpisodeSteps == 500)
        #expect(cartPole.rewardThreshold == 475)
        #expect(cartPole.actionSpace == .discrete(Discrete(2)))
        #expect(cartPole.observationSpace.shape == [4])
    }
}

@Suite struct TimeLimitTests {
    @Test func truncatesOnTheLimitStepAlsoWhenItTerminates() throws {
        var env = TimeLimit(ScriptedEnvironment(episodeLength: 3), maxEpisodeSteps: 3)
        try withObservation(2) { obs in
            try env.reset(seed: nil, observation: obs)
            _ = try env.step(.discrete(1), observation: obs)
            _ = try env.step(.discrete(1), observation: obs)
            #expect(try env.step(.discrete(1), observation: obs) == StepResult(reward: 1, terminated: true, truncated: true))
            try env.reset(seed: nil, observation: obs)
            #expect(env.elapsedSteps == 0)
        }
    }

    @Test func stepBeforeResetIsAnError() {
        var env = TimeLimit(ScriptedEnvironment(), maxEpisodeSteps: 3, name: "Scripted")
        #expect(throws: EnvironmentError.stepBeforeReset(environment: "Scripted")) {
            try withObservation(2) { obs in _ = try env.step(.discrete(0), observation: obs) }
        }
    }
}

@Suite struct InvalidActionTests {
    @Test(arguments: ["CartPole-v1", "MountainCar-v0", "Acrobot-v1"])
    func discreteIndexOutOfRangeNamesTheEnvironmentAndRange(id: String) throws {
        var env = try EnvironmentRegistry.builtIn.make(id)
        try withObservation(env.observationSpace.size) { obs in
            try env.reset(seed: 0, observation: obs)
            #expect {
                _ = try env.step(.discrete(7), observation: obs)
            } throws: { error in
                "\(error)".contains(id) && "\(error)".contains("action 7 is outside")
            }
            #expect(throws: EnvironmentError.self) { _ = try env.step(.discrete(-1), observation: obs) }
            let values: [Float] = [0.5]
            #expect(throws: EnvironmentError.self) {
                _ = try values.withUnsafeBufferPointer { try env.step(.continuous($0), observation: obs) }
            }
        }
    }

    @Test(arguments: ["Pendulum-v1", "MountainCarContinuous-v0"])
    func continuousActionOfWrongShapeOrNaNIsRejected(id: String) throws {
        var env = try EnvironmentRegistry.builtIn.make(id)
        try withObservation(env.observationSpace.size) { obs in
            try env.reset(seed: 0, observation: obs)
            for bad: [Float] in [[], [0.1, 0.2], [.nan], [.infinity]] {
                #expect {
                    _ = try bad.withUnsafeBufferPointer { try env.step(.continuous($0), observation: obs) }
                } throws: { error in
                    guard case .invalidAction(let name, _) = error as? EnvironmentError else { return false }
                    return name == id
                }
            }
            #expect(throws: EnvironmentError.self) { _ = try env.step(.discrete(0), observation: obs) }
            // Out-of-bounds but finite actions are clipped, as in Gymnasium.
            let big: [Float] = [100]
            _ = try big.withUnsafeBufferPointer { try env.step(.continuous($0), observation: obs) }
        }
    }
}

@Suite struct ResetDistributionTests {
    /// Each built-in's reset state lies in Gymnasium's ranges, and seeds reproduce it.
    @Test func resetsLieInGymnasiumsRangesAndAreSeeded() throws {
        var lows = [String: [Float]](), highs = [String: [Float]]()
        let registry = EnvironmentRegistry.builtIn
        for id in registry.ids {
            var env = try registry.make(id)
            let n = env.observationSpace.size
            var low = [Float](repeating: .infinity, count: n), high = [Float](repeating: -.infinity, count: n)
            try withObservation(n) { obs in
                for seed in 0..<300 {
                    try env.reset(seed: UInt64(seed), observation: obs)
                    for j in 0..<n { low[j] = min(low[j], obs[j]); high[j] = max(high[j], obs[j]) }
                }
                try env.reset(seed: 42, observation: obs)
                let first = Array(obs)
                try env.reset(seed: 42, observation: obs)
                #expect(Array(obs) == first, "\(id): the same seed must give the same reset")
            }
            lows[id] = low
            highs[id] = high
        }
        // CartPole: every component uniform in [-0.05, 0.05], and the range is actually covered.
        #expect(lows["CartPole-v1"]!.allSatisfy { $0 >= -0.05 && $0 < -0.04 })
        #expect(highs["CartPole-v1"]!.allSatisfy { $0 <= 0.05 && $0 > 0.04 })
        // MountainCar: position in [-0.6, -0.4], velocity 0.
        for id in ["MountainCar-v0", "MountainCarContinuous-v0"] {
            #expect(lows[id]![0] >= -0.6 && lows[id]![0] < -0.58 && highs[id]![0] <= -0.4 && highs[id]![0] > -0.42)
            #expect(lows[id]![1] == 0 && highs[id]![1] == 0)
        }
        // Pendulum: theta uniform over [-pi, pi] (cos and sin cover [-1, 1]), theta_dot in [-1, 1].
        #expect(lows["Pendulum-v1"]![0] < -0.99 && highs["Pendulum-v1"]![0] > 0.99)
        #expect(lows["Pendulum-v1"]![2] >= -1 && lows["Pendulum-v1"]![2] < -0.9 && highs["Pendulum-v1"]![2] <= 1)
        // Acrobot: angles and velocities within ±0.1.
        #expect(lows["Acrobot-v1"]![4] >= -0.1 && highs["Acrobot-v1"]![5] <= 0.1)
        #expect(lows["Acrobot-v1"]![0] > 0.99)  // cos of an angle within ±0.1
    }
}

@Suite struct VectorEnvironmentTests {
    @Test func autoResetKeepsTheTrueFinalObservationAndEpisodeStatistics() throws {
        let envs: [any Environment] = [ScriptedEnvironment(episodeLength: 2), ScriptedEnvironment(episodeLength: 3)]
        let vector = try VectorEnvironment(environments: envs, id: "Scripted")
        try vector.reset(seed: 0)
        let actions = [0, 1]
        try actions.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
        #expect(!vector.isDone(0) && !vector.isDone(1))
        #expect(Array(vector.observation(0)) == [1, 1])
        try actions.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
        // Env 0 finished its 2-step episode: the final observation is step 2 of episode 1, and
        // the current observation is already the first of episode 2.
        #expect(vector.isDone(0) && vector.terminated[0] && !vector.truncated[0])
        #expect(Array(vector.finalObservation(0)) == [2, 1])
        #expect(Array(vector.observation(0)) == [0, 2])
        #expect(vector.completedReturns[0] == 2 && vector.completedLengths[0] == 2)
        #expect(!vector.isDone(1))
        try actions.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
        #expect(vector.isDone(1) && Array(vector.finalObservation(1)) == [3, 1] && vector.completedLengths[1] == 3)
        #expect(!vector.isDone(0) && Array(vector.observation(0)) == [1, 2])
        #expect(vector.totalSteps == 6)
    }

    @Test func truncationFromTheTimeLimitIsReportedAndAutoReset() throws {
        let vector = try VectorEnvironment(registry: .builtIn, id: "Pendulum-v1", count: 2, seed: 3)
        try vector.reset(seed: 3)
        let actions: [Float] = [0.5, -0.5]
        var doneAt: Int?
        for t in 1...200 {
            try actions.withUnsafeBufferPointer { try vector.step(.continuous($0)) }
            if vector.isDone(0) { doneAt = t; break }
        }
        #expect(doneAt == 200)
        #expect(vector.truncated[0] && !vector.terminated[0] && vector.truncated[1])
        #expect(Array(vector.finalObservation(0)) != Array(vector.observation(0)))
    }

    @Test func sameSeedGivesTheSameRolloutAcrossInstances() throws {
        func rollout() throws -> [Float] {
            let vector = try VectorEnvironment(registry: .builtIn, id: "CartPole-v1", count: 4, seed: 9)
            var rng = Xoshiro256(seed: 1)
            _ = try RandomRollout.run(vector, steps: 4_000, seed: 9, rng: &rng)
            return Array(vector.observations)
        }
        #expect(try rollout() == rollout())
    }

    @Test func nanObservationStopsWithAnErrorNamingEnvironmentAndStep() throws {
        let envs: [any Environment] = [ScriptedEnvironment(episodeLength: 10), ScriptedEnvironment(episodeLength: 10, nanAtStep: 4)]
        let vector = try VectorEnvironment(environments: envs, id: "Scripted-v0")
        try vector.reset()
        let actions = [0, 0]
        #expect(throws: EnvironmentError.nonFiniteOutput(environment: "Scripted-v0", index: 1, step: 4,
                                                          detail: "observation component 0 is nan")) {
            for _ in 0..<10 { try actions.withUnsafeBufferPointer { try vector.step(.discrete($0)) } }
        }
    }

    @Test func throwingEnvironmentIsReportedWithItsIndexAndStep() throws {
        let envs: [any Environment] = [ScriptedEnvironment(episodeLength: 10, throwAtStep: 2)]
        let vector = try VectorEnvironment(environments: envs, id: "Scripted-v0")
        try vector.reset()
        let actions = [0]
        #expect(throws: EnvironmentError.stepFailed(environment: "Scripted-v0", index: 0, step: 2, underlying: "boom")) {
            for _ in 0..<3 { try actions.withUnsafeBufferPointer { try vector.step(.discrete($0)) } }
        }
    }

    @Test func wrongActionBatchSizeIsAnError() throws {
        let vector = try VectorEnvironment(registry: .builtIn, id: "CartPole-v1", count: 3)
        try vector.reset(seed: 0)
        let actions = [0, 1]
        #expect(throws: EnvironmentError.bufferSize(what: "CartPole-v1: discrete action batch", expected: 3, got: 2)) {
            try actions.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
        }
    }
}

@Suite struct ReplayRequestTests {
    @Test func malformedRequestsNameTheField() {
        #expect { _ = try ReferenceReplay.parseRequest(Data("{\"initial_state\": [], \"actions\": []}".utf8)) }
            throws: { "\($0)".contains("env_id") }
        #expect { _ = try ReferenceReplay.parseRequest(Data("{\"env_id\": \"CartPole-v1\", \"initial_state\": [1], \"actions\": [\"x\"]}".utf8)) }
            throws: { "\($0)".contains("actions[0]") }
        #expect { _ = try ReferenceReplay.parseRequest(Data("not json".utf8)) } throws: { "\($0)".contains("not a JSON") }
    }

    @Test func wrongStateSizeIsRejected() throws {
        let request = try ReferenceReplay.parseRequest(Data("{\"env_id\": \"CartPole-v1\", \"initial_state\": [0, 0], \"actions\": [1]}".utf8))
        #expect(throws: EnvironmentError.invalidState(environment: "CartPole-v1", detail: "expected 4 components, got 2")) {
            try ReferenceReplay().run(request)
        }
    }
}

@Suite struct EnvironmentSnapshotTests {
    /// A vector of every built-in, snapshotted mid-run and restored into fresh copies, steps on
    /// bit-identically (observations, rewards, flags, episode bookkeeping).
    @Test(arguments: EnvironmentRegistry.builtIn.ids)
    func restoringASnapshotContinuesBitIdentically(id: String) throws {
        let a = try VectorEnvironment(registry: .builtIn, id: id, count: 3, seed: 7)
        try a.reset(seed: 7)
        var rng = Xoshiro256(seed: 3)
        func randomActions(_ vector: VectorEnvironment, _ rng: inout Xoshiro256) -> ([Int], [Float]) {
            switch vector.actionSpace {
            case .discrete(let d): return ((0..<vector.count).map { _ in d.start + rng.nextIndex(below: d.n) }, [])
            case .box(let box): return ([], (0..<(vector.count * box.size)).map { _ in Float(rng.nextDouble(low: -1, high: 1)) })
            }
        }
        func step(_ vector: VectorEnvironment, _ actions: ([Int], [Float])) throws {
            if vector.actionSpace.isDiscrete {
                try actions.0.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
            } else {
                try actions.1.withUnsafeBufferPointer { try vector.step(.continuous($0)) }
            }
        }
        for _ in 0..<250 { try step(a, randomActions(a, &rng)) }
        let snapshot = try #require(a.snapshot())
        let b = try VectorEnvironment(registry: .builtIn, id: id, count: 3, seed: 999)
        try b.restore(snapshot)
        #expect(b.snapshot() == snapshot)
        for _ in 0..<400 {
            let actions = randomActions(a, &rng)
            try step(a, actions)
            try step(b, actions)
            #expect(Array(a.observations) == Array(b.observations))
            #expect(Array(a.rewards) == Array(b.rewards))
            #expect(Array(a.terminated) == Array(b.terminated) && Array(a.truncated) == Array(b.truncated))
        }
        #expect(a.snapshot() == b.snapshot())
    }

    @Test func aSnapshotOfTheWrongSizeIsRefusedNamingTheEnvironment() throws {
        let a = try VectorEnvironment(registry: .builtIn, id: "CartPole-v1", count: 2)
        try a.reset(seed: 1)
        var snapshot = try #require(a.snapshot())
        snapshot.environments[1].removeLast(3)
        #expect { try a.restore(snapshot) } throws: { "\($0)".contains("CartPole-v1") }
    }
}
