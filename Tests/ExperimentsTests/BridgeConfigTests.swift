import Envs
import Experiments
import Foundation
import Testing

/// `env.command`: a config trains on an environment that runs as a Python process.
@Suite struct BridgeConfigTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "python3"
    static var corridor: String { "[\(python), \(repository.appendingPathComponent("python/examples/corridor.py").path)]" }

    /// DQN learns the Python corridor (walk right) through a collector of 2 processes, in
    /// deterministic mode (so the outcome is the same on every run); the evaluation's greedy
    /// policy reaches the end from every start.
    @Test func dqnLearnsAPythonEnvironmentGivenByCommand() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "env.id=Corridor-py", "env.command=\(Self.corridor)", "env.max_episode_steps=30",
            "train.deterministic=true", "collectors.count=1", "collectors.num_envs=2", "train.env_steps=6000", "memory.min_size=500",
            "network.hidden=[32]", "eval.episodes=5", "train.eval_every=1000000", "train.stop_at_threshold=false",
            "callbacks=[]"])
        let result = try Experiment.run(config, options: RunOptions(directory: directory))
        #expect(result.environment == "Corridor-py")
        #expect(result.environmentSteps >= 6000)
        // From any start, walking right takes at most 9 steps: return ≥ 1 − 0.08.
        let returns = try #require(result.evaluationReturns)
        #expect(returns.allSatisfy { $0 >= 0.92 }, "evaluation returns \(returns)")
    }

    @Test func aCommandThatFailsIsNamedAtLoadAndARegisteredIdIsRefused() throws {
        let broken = try #require(throws: ConfigError.self) {
            _ = try ExperimentConfig.defaults(.dqn, overrides: ["env.id=Broken-py", "env.command=[/nonexistent/interpreter]"])
        }
        #expect("\(broken)".contains("env.command") && "\(broken)".contains("exited with status 127"), "\(broken)")
        let taken = try #require(throws: ConfigError.self) {
            _ = try ExperimentConfig.defaults(.dqn, overrides: ["env.id=CartPole-v1", "env.command=\(Self.corridor)"])
        }
        #expect("\(taken)".contains("registered environment"), "\(taken)")
        // The corridor announces no time limit: evaluation could run forever, so one is required.
        let unlimited = try #require(throws: ConfigError.self) {
            _ = try ExperimentConfig.defaults(.dqn, overrides: ["env.id=Corridor-py", "env.command=\(Self.corridor)"])
        }
        #expect("\(unlimited)".contains("env.max_episode_steps"), "\(unlimited)")
    }
}
