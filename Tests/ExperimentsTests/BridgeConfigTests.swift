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

/// A bridged environment's script is part of the run identity (issue 29.3): editing it makes
/// another run, not one that is "already complete"; `env.version` enters the identity too.
@Suite struct BridgedIdentityTests {
    @Test func editingTheEnvironmentScriptChangesTheRunIdentity() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bridged-id-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The script imports swiftrl_bridge.py from the folder above its own.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("examples"), withIntermediateDirectories: true)
        let script = folder.appendingPathComponent("examples/corridor.py")
        try FileManager.default.copyItem(at: BridgeConfigTests.repository.appendingPathComponent("python/examples/corridor.py"), to: script)
        try FileManager.default.copyItem(at: BridgeConfigTests.repository.appendingPathComponent("python/swiftrl_bridge.py"),
                                         to: folder.appendingPathComponent("swiftrl_bridge.py"))
        let overrides = ["env.id=Corridor-py", "env.command=[\(BridgeConfigTests.python), \(script.path)]", "env.max_episode_steps=30"]
        let before = try ExperimentConfig.defaults(.dqn, overrides: overrides)
        #expect(before.canonicalForm.contains("env.command_files=[\"\(script.path):"))
        let beforeID = before.id
        #expect(try ExperimentConfig.defaults(.dqn, overrides: overrides).id == beforeID, "the same file, the same run")
        try (String(contentsOf: script, encoding: .utf8) + "\n# edited\n").write(to: script, atomically: true, encoding: .utf8)
        #expect(try ExperimentConfig.defaults(.dqn, overrides: overrides).id != beforeID, "an edited environment is another run")
        #expect(before.id == beforeID, "a loaded config keeps the identity it was loaded with")
        #expect(try ExperimentConfig.defaults(.dqn, overrides: overrides + ["env.version=2"]).id
                != ExperimentConfig.defaults(.dqn, overrides: overrides).id)
    }
}
