// Environment stepping throughput: a raw single-threaded step loop per built-in environment
// (random actions, auto-reset on terminated/truncated), and the vectorized stepper with 8 envs.
// The peer is ../shared/anchors/env_step.py (Gymnasium raw loop, EnvPool 8 envs on 1 thread).
//
// One benchmark iteration is one environment step; figures are reported in steps per second
// (the harness's throughput metric, scaled by a million iterations per sample).
import Benchmark
import Envs
import Foundation
import SeededRandom

/// The repository's root and the Python with Gymnasium (RL_PYTHON, else the test venv).
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let bridgePython = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? repository.appendingPathComponent(".build-py/venv/bin/python").path

/// Random actions for one environment, drawn from our own stream (cheap next to a step).
@inline(__always)
func randomDiscrete(_ rng: inout Xoshiro256, _ n: Int) -> Int { rng.nextIndex(below: n) }

/// The raw loop over a concrete environment type (no existential dispatch).
@inline(__always)
func rawLoop<E: Environment>(_ env: inout E, steps: Int, rng: inout Xoshiro256, observation: UnsafeMutableBufferPointer<Float>,
                             action: UnsafeMutableBufferPointer<Float>) throws -> Double {
    var total = 0.0
    switch env.actionSpace {
    case .discrete(let space):
        for _ in 0..<steps {
            let result = try env.step(.discrete(randomDiscrete(&rng, space.n)), observation: observation)
            total += result.reward
            if result.terminated || result.truncated { try env.reset(seed: nil, observation: observation) }
        }
    case .box(let box):
        let low = box.low[0], span = box.high[0] - box.low[0]
        for _ in 0..<steps {
            action[0] = low + span * rng.nextUnitFloat()
            let result = try env.step(.continuous(UnsafeBufferPointer(action)), observation: observation)
            total += result.reward
            if result.terminated || result.truncated { try env.reset(seed: nil, observation: observation) }
        }
    }
    return total
}

func registerRaw<E: Environment>(_ name: String, _ make: @escaping @Sendable () -> E) {
    Benchmark("\(name) raw step") { benchmark in
        var env = make()
        var rng = Xoshiro256(seed: 1)
        let observation = UnsafeMutableBufferPointer<Float>.allocate(capacity: env.observationSpace.size)
        let action = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1)
        defer { observation.deallocate(); action.deallocate() }
        try env.reset(seed: 0, observation: observation)
        benchmark.startMeasurement()
        blackHole(try rawLoop(&env, steps: benchmark.scaledIterations.count, rng: &rng, observation: observation, action: action))
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

    registerRaw("CartPole-v1") { TimeLimit(CartPole(seed: 0), maxEpisodeSteps: 500) }
    registerRaw("Pendulum-v1") { TimeLimit(Pendulum(seed: 0), maxEpisodeSteps: 200) }
    registerRaw("MountainCar-v0") { TimeLimit(MountainCar(seed: 0), maxEpisodeSteps: 200) }
    registerRaw("MountainCarContinuous-v0") { TimeLimit(MountainCarContinuous(seed: 0), maxEpisodeSteps: 999) }
    registerRaw("Acrobot-v1") { TimeLimit(Acrobot(seed: 0), maxEpisodeSteps: 500) }

    for id in ["CartPole-v1", "Pendulum-v1"] {
        Benchmark("\(id) vector 8 envs") { benchmark in
            let vector = try VectorEnvironment(registry: .builtIn, id: id, count: 8, seed: 0)
            try vector.reset(seed: 0)
            var rng = Xoshiro256(seed: 1)
            var discrete = [Int](repeating: 0, count: 8)
            var continuous = [Float](repeating: 0, count: 8)
            let vectorSteps = benchmark.scaledIterations.count / 8
            benchmark.startMeasurement()
            for _ in 0..<vectorSteps {
                switch vector.actionSpace {
                case .discrete(let space):
                    for i in 0..<8 { discrete[i] = rng.nextIndex(below: space.n) }
                    try discrete.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
                case .box:
                    for i in 0..<8 { continuous[i] = -2 + 4 * rng.nextUnitFloat() }
                    try continuous.withUnsafeBufferPointer { try vector.step(.continuous($0)) }
                }
            }
            blackHole(vector.observations[0])
        }
    }

    // The out-of-process bridge: Gymnasium's own CartPole in a Python process, stepped through
    // the protocol (one request and one answer per step). Compare with env_step.py --mode raw,
    // Gymnasium's loop inside Python, to see the cost of the round trip. Thousands of steps per
    // sample here (a step is tens of microseconds, not tens of nanoseconds).
    Benchmark("CartPole-v1 over the bridge (Gymnasium in Python), raw step",
              configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 20)) { benchmark in
        let command = [bridgePython, repository.appendingPathComponent("python/examples/gymnasium_env.py").path, "CartPole-v1"]
        var env = TimeLimit(ProcessEnvironment(command: command, spaces: try BridgeSpaces.probe(command: command)), maxEpisodeSteps: 500)
        var rng = Xoshiro256(seed: 1)
        let observation = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4)
        let action = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1)
        defer { observation.deallocate(); action.deallocate() }
        try env.reset(seed: 0, observation: observation)
        benchmark.startMeasurement()
        blackHole(try rawLoop(&env, steps: benchmark.scaledIterations.count, rng: &rng, observation: observation, action: action))
    }

    // A heavy simulator, stood in for by the Python corridor sleeping 1 ms per step: one
    // process, then eight in one VectorEnvironment, which sends every action before it awaits
    // the first answer (OverlappedStepping), so the eight step in parallel. Stepped one after
    // another they could not exceed one process's rate. The processes are started once and
    // kept across samples (starting Python costs more than a sample).
    for count in [1, 8] {
        Benchmark("Python corridor with 1 ms steps over the bridge, vector \(count) process\(count == 1 ? "" : "es")",
                  configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 10)) { benchmark in
            let vector = try slowVectors(count)
            var actions = [Int](repeating: 1, count: count)
            benchmark.startMeasurement()
            for k in 0..<(benchmark.scaledIterations.count / count) {
                for i in 0..<count { actions[i] = (k + i) % 3 == 0 ? 0 : 1 }
                try actions.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
            }
            blackHole(vector.observations[0])
        }
    }
}

/// The slow-corridor vectors, made on first use and kept for the whole run.
nonisolated(unsafe) var slowVectorCache: [Int: VectorEnvironment] = [:]
func slowVectors(_ count: Int) throws -> VectorEnvironment {
    if let vector = slowVectorCache[count] { return vector }
    let command = [bridgePython, repository.appendingPathComponent("python/examples/corridor.py").path, "--step-ms", "1"]
    var registry = EnvironmentRegistry.builtIn
    try registry.register(try EnvironmentSpec.bridge(id: "SlowCorridor", command: command, maxEpisodeSteps: 50))
    let vector = try VectorEnvironment(registry: registry, id: "SlowCorridor", count: count, seed: 0)
    try vector.reset(seed: 0)
    slowVectorCache[count] = vector
    return vector
}
