import Collectors
import Envs
import Experiments
import Foundation
import Learner
import Memory
import NN
import SeededRandom
import Testing


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
    /// move the deterministic action to the optimum of a one-step problem. Deterministic mode:
    /// the same seed gives the same run, so the expectations are exact.
    @Test func sacFindsTheBestActionOfAOneStepProblem() throws {
        var registry = EnvironmentRegistry.builtIn
        try registry.register(EnvironmentSpec(id: "TargetAction-v0", maxEpisodeSteps: 10) { _ in TargetActionEnvironment() })
        let config = try ExperimentConfig.defaults(.sac, environment: "TargetAction-v0", overrides: [
            "train.env_steps=1500", "network.hidden=[32, 32]", "algorithm.batch_size=64", "memory.min_size=200",
            "train.eval_every=null", "eval.episodes=1", "train.deterministic=true"], environments: registry)
        let result = try Experiment.run(config, options: RunOptions(environments: registry))
        // The deterministic action tanh(μ) lands near 0.5: return −(a − 0.5)² close to 0.
        let evaluation = try #require(result.evaluationMeanReturn)
        // Exact under the AVX2 kernels scripts/test.sh pins (other kernels sum in other orders).
        #expect(evaluation == -0.0017491258913651109, "evaluation return \(evaluation)")
        #expect(evaluation > -0.02)
        #expect(result.updates == 1_301, "1,500 steps, learning from step 200 at one update per step")
    }

    /// TD3's callbacks (clipped double-Q target with smoothing, delayed actor through ∂Q₁/∂a,
    /// delayed Polyak targets) solve the same one-step problem; deterministic, exact.
    @Test func td3FindsTheBestActionOfAOneStepProblem() throws {
        var registry = EnvironmentRegistry.builtIn
        try registry.register(EnvironmentSpec(id: "TargetAction-v0", maxEpisodeSteps: 10) { _ in TargetActionEnvironment() })
        let config = try ExperimentConfig.defaults(.td3, environment: "TargetAction-v0", overrides: [
            "train.env_steps=1500", "network.hidden=[32, 32]", "algorithm.batch_size=64", "memory.min_size=200",
            "algorithm.random_steps=200", "train.eval_every=null", "eval.episodes=1", "train.deterministic=true"], environments: registry)
        let result = try Experiment.run(config, options: RunOptions(environments: registry))
        let evaluation = try #require(result.evaluationMeanReturn)
        #expect(evaluation == -0.00027793622575700283, "evaluation return \(evaluation)")
        #expect(evaluation > -0.02)
        #expect(result.metrics?.keys.sorted() == ["actor_loss", "critic_loss", "mean_q"])
    }

    /// DQN on CartPole with the shipped defaults, deterministic (one collector stepped inline
    /// with a fixed interleave): the same seed gives the same run on any machine load, so the
    /// solved step and the final returns are exact (under the AVX2 BLAS and libxsmm kernels
    /// scripts/test.sh pins).
    @Test func dqnSolvesCartPoleDeterministically() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: ["train.deterministic=true", "train.seed=2"])
        let result = try Experiment.run(config)
        #expect(result.stoppedBy == .solved)
        #expect(result.solvedAtEnvironmentSteps == 29_000)
        #expect(result.final?.mean == 500)
        #expect(result.final.map { $0.mean >= 475 } == true, "a solved run's final policy meets the bar")
        #expect(result.final?.episodes == 20)
    }

    /// SIGINT to a running `rl-train train` ends it gracefully within 2 s (collectors joined,
    /// final checkpoint written, exit status 130, no result.json); `rl-train resume` continues
    /// from that checkpoint to the budget; starting the same config again reports the complete
    /// run instead of training twice. Runs the real binary, so the signal reaches only it.
    /// `--algo` takes a registered name in any case (`PPO` is ppo), and refuses others by name.
    @Test func algorithmNamesAreCaseInsensitiveOnTheCommandLine() throws {
        let executable = try #require(Self.rlTrain(), "rl-train not found next to the test binary; run `swift build` first")
        func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let (process, output) = try Self.launch(executable, arguments)
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let upper = try run(["train", "--algo", "PPO", "--dry-run"])
        #expect(upper.status == 0 && upper.output.contains("name: \"ppo\""), "\(upper.output.prefix(400))")
        let unknown = try run(["train", "--algo", "ppo2", "--dry-run"])
        #expect(unknown.status != 0 && unknown.output.contains("ppo2"), "\(unknown.output.prefix(400))")
    }

    /// Starts `executable` with its standard output and error into one pipe.
    static func launch(_ executable: URL, _ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process(), output = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return (process, output)
    }

    /// The rl-train binary next to the test binary (or one directory up).
    static func rlTrain() -> URL? {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return [binary, binary.deletingLastPathComponent()].map { $0.appendingPathComponent("rl-train") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    @Test func sigintStopsTrainingGracefullyAndTheRunResumes() throws {
        let executable = try #require(Self.rlTrain(), "rl-train not found next to the test binary; run `swift build` first")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sigint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let arguments = ["train", "--set", "train.env_steps=20000", "--set", "train.eval_every=null", "--set", "eval.episodes=1",
                         "--set", "network.hidden=[16]", "--set", "train.runs_dir=\(base.path)",
                         "--set", "callbacks=[{checkpointer: {every: 200}}, {metrics: {every: 100}}]"]
        func start(_ arguments: [String]) throws -> (Process, Pipe) {
            try Self.launch(executable, arguments)
        }
        let (first, firstOutput) = try start(arguments)
        // Wait for the first periodic checkpoint, then interrupt.
        let deadline = ContinuousClock.now + .seconds(120)
        var runDirectory: URL?
        while ContinuousClock.now < deadline, first.isRunning {
            if let name = try? FileManager.default.contentsOfDirectory(atPath: base.path).first {
                let dir = base.appendingPathComponent(name)
                if !CheckpointLoader.checkpoints(in: dir.appendingPathComponent("checkpoints")).isEmpty { runDirectory = dir; break }
            }
            usleep(20_000)
        }
        let directory = try #require(runDirectory, "no checkpoint appeared")
        kill(first.processIdentifier, SIGINT)
        // A bound that only keeps a run that ignores the signal from hanging the suite: how fast
        // a run stops depends on the machine's load, so it is not asserted.
        let stopDeadline = ContinuousClock.now + .seconds(120)
        while first.isRunning, ContinuousClock.now < stopDeadline { usleep(20_000) }
        if first.isRunning { kill(first.processIdentifier, SIGKILL) }
        first.waitUntilExit()
        let text = String(decoding: firstOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(first.terminationStatus == 130, "\(text)")
        #expect(text.contains("resume with: rl-train resume"))
        #expect(RunDirectory.readResult(in: directory) == nil, "an interrupted run is not complete")
        let checkpoints = CheckpointLoader.checkpoints(in: directory.appendingPathComponent("checkpoints"))
        let interruptedAt = try #require(Int(checkpoints.last!.lastPathComponent.filter(\.isNumber)))
        // The newest checkpoint is the one written at the interruption, not the last periodic one.
        #expect(text.contains("env steps, \(interruptedAt) updates; final checkpoint written"), "\(text)")

        let (second, secondOutput) = try start(["resume", directory.path])
        second.waitUntilExit()
        let resumedText = String(decoding: secondOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 0, "\(resumedText)")
        let result = try #require(RunDirectory.readResult(in: directory))
        #expect(result.resumedFromUpdates == interruptedAt)
        #expect(result.environmentSteps >= 20_000)
        #expect(result.stoppedBy == .budget)

        let (third, thirdOutput) = try start(arguments)
        third.waitUntilExit()
        let thirdText = String(decoding: thirdOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(third.terminationStatus == 0)
        #expect(thirdText.contains("already complete"), "\(thirdText)")
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

