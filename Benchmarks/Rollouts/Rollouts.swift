// On-policy collection throughput (issue 15): one RolloutCollector thread stepping CartPole-v1
// environments and acting with PPO's 64×64 tanh actor and critic (categorical sampling, log π,
// V, bootstraps at truncation and at the rollout's end, GAE), handing each rollout to a
// learner that only takes it (no update). One benchmark iteration is one environment step.
import Benchmark
import Collectors
import Core
import Envs
import Learner
import Memory
import NN

func registerRollouts(environments: Int, steps: Int) {
    Benchmark("PPO collection CartPole-v1 64x64 tanh, \(environments) envs x \(steps) steps per rollout, 1 collector") { benchmark in
        let vector = try VectorEnvironment(registry: .builtIn, id: "CartPole-v1", count: environments, seed: 0)
        let model = ActorCritic(observationSize: 4, policy: .categorical(n: 2), hidden: [64, 64], activation: .tanh, shared: false,
                                initializer: .orthogonal, learningRate: 3e-4, seed: 1)
        let buffer = RolloutBuffer(observationSize: 4, action: .discrete(n: 2), segments: 1, environments: environments, steps: steps)
        let collector = RolloutCollector(environments: vector, agent: ActorCriticAgent(model: model, maxBatch: environments), buffer: buffer,
                                         segment: 0, statistics: RunControl(), seed: 1, gamma: 0.98, lambda: 0.8)
        let batch = ReplayBatch(spec: buffer.spec, capacity: buffer.rows)
        try collector.collectRollout()   // warm-up: first reset, first rollout
        try buffer.take(into: batch)
        let rollouts = max(1, benchmark.scaledIterations.count / buffer.rows)
        benchmark.startMeasurement()
        for _ in 0..<rollouts {
            buffer.release()   // as the learner's next update does, before the inline collector runs
            try collector.collectRollout()
            try buffer.take(into: batch)
        }
        benchmark.stopMeasurement()
        blackHole(batch.rewards[0])
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 20
    )
    registerRollouts(environments: 8, steps: 32)       // rl-zoo's CartPole rollout (256 steps)
    registerRollouts(environments: 64, steps: 32)
    registerRollouts(environments: 256, steps: 16)
}
