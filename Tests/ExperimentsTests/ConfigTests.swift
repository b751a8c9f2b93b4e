import Envs
import Experiments
import Sweeps
import Foundation
import MuJoCoEnvs
import Testing

@Suite struct ConfigIdentityTests {
    let base = """
    env:
      id: CartPole-v1
    algorithm:
      name: dqn
      lr: 3e-4
    train:
      seed: 2
    """

    @Test func reorderingKeysKeepsTheID() throws {
        let reordered = """
        train: {seed: 2}
        algorithm: {lr: 0.0003, name: dqn}
        env: {id: CartPole-v1}
        """
        #expect(try ExperimentConfig.parse(base).id == ExperimentConfig.parse(reordered).id)
    }

    @Test func writingADefaultExplicitlyKeepsTheID() throws {
        let explicit = base + "\nmemory:\n  capacity: 100000\ncollectors: {num_envs: 4}\n"
        #expect(try ExperimentConfig.parse(base).id == ExperimentConfig.parse(explicit).id)
    }

    @Test func runIrrelevantKeysKeepTheID() throws {
        let a = try ExperimentConfig.parse(base)
        let b = try ExperimentConfig.parse(base, overrides: ["train.blas_threads=2", "train.runs_dir=/tmp/elsewhere", "train.log_every=7",
                                                             "train.name=mine", "callbacks=[{checkpointer: {every: 10}}]"])
        #expect(a.id == b.id)
        #expect(b.runName == "mine")
    }

    @Test func jsonGivesTheSameIDAsYAML() throws {
        let json = #"{"env": {"id": "CartPole-v1"}, "algorithm": {"name": "dqn", "lr": 0.0003}, "train": {"seed": 2}}"#
        #expect(try ExperimentConfig.parse(base).id == ExperimentConfig.parse(json).id)
    }

    @Test(arguments: ["algorithm.lr=1e-3", "train.seed=3", "env.id=Acrobot-v1", "network.hidden=[64]", "algorithm.n_step=3",
                      "memory.capacity=5000", "eval.episodes=5", "train.deterministic=true"])
    func anyRealChangeAltersTheID(override: String) throws {
        #expect(try ExperimentConfig.parse(base).id != ExperimentConfig.parse(base, overrides: [override]).id)
    }

    @Test func theCanonicalFormListsOnlyNonDefaultRelevantValuesSorted() throws {
        let config = try ExperimentConfig.parse(base, overrides: ["train.blas_threads=2"])
        #expect(config.canonicalForm == "identity_version=4\nalgorithm.lr=0.0003\nalgorithm.name=\"dqn\"\nenv.id=\"CartPole-v1\"\ntrain.seed=2")
        #expect(config.id.count == 64 && config.id8 == String(config.id.prefix(8)))
    }

    @Test func theResolvedYAMLReadsBackToTheSameConfig() throws {
        for algorithm in AlgorithmRegistry.builtIn.names.map({ AlgorithmName($0) }) {
            let config = try ExperimentConfig.defaults(algorithm, overrides: ["train.tags=[train.seed]"])
            let again = try ExperimentConfig.parse(config.yaml(documented: true))
            #expect(again == config)
            #expect(again.id == config.id)
        }
    }

    @Test func tagsGoIntoTheRunName() throws {
        let config = try ExperimentConfig.parse(base, overrides: ["train.tags=[algorithm.lr, train.seed]"])
        #expect(config.runName == "dqn-CartPole-v1-lr=0.0003-seed=2")
        #expect(RunDirectory.url(for: config, base: URL(fileURLWithPath: "/x")).path == "/x/runs/dqn-CartPole-v1-lr=0.0003-seed=2-\(config.id8)")
    }
}

@Suite struct ConfigValidationTests {
    func error(_ text: String, overrides: [String] = []) -> ConfigError? {
        do {
            _ = try ExperimentConfig.parse(text, overrides: overrides)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    let valid = "env: {id: CartPole-v1}\nalgorithm: {name: dqn}\n"

    @Test(arguments: [
        ("memory: {capasity: 10}", "memory.capasity", "did you mean 'memory.capacity'"),
        ("memory: {capacity: lots}", "memory.capacity", "expected an integer"),
        ("memory: {capacity: \"5\"}", "memory.capacity", "the string \"5\""),
        ("memory: {capacity: 0}", "memory.capacity", "below the minimum 1"),
        ("algorithm: {name: dqn, gamma: 1.5}", "algorithm.gamma", "(0, 1]"),
        ("algorithm: {name: impala}", "algorithm.name", "'impala' is not a registered algorithm (registered: a2c, dqn, ppo, sac, td3)"),
        ("algorithm: {name: dqn, initial_alpha: 0.5}", "algorithm.initial_alpha", "applies only to sac"),
        ("network: {hidden: [64, -1]}", "network.hidden", "below the minimum"),
        ("trian: {seed: 1}", "trian", "did you mean 'train'"),
        ("train: {deterministic: maybe}", "train.deterministic", "true or false"),
        ("algorithm: {name: dqn, batch_size: 512}\nmemory: {capacity: 256}", "algorithm.batch_size", "exceeds memory.capacity 256"),
        ("memory: {capacity: 100, min_size: 1000}", "memory.min_size", "exceeds memory.capacity"),
        ("train: {deterministic: true}\ncollectors: {count: 2}", "collectors.count", "exactly 1 collector"),
        ("train: {tags: [algorithm.lrr]}", "train.tags", "did you mean 'algorithm.lr'"),
        ("callbacks: [{checkpointr: {every: 5}}]", "callbacks[0].checkpointr", "did you mean 'checkpointer'"),
        ("callbacks: [{checkpointer: {every: soon}}]", "callbacks[0].checkpointer.every", "expected an integer"),
        ("callbacks: [{metrics: {evry: 5}}]", "callbacks[0].metrics.evry", "did you mean 'every'"),
    ])
    func errorsNameTheKeyPath(extra: String, path: String, message: String) throws {
        // Later sections override earlier ones key by key through --set, so merge by hand: put
        // the extra lines after a config whose sections they do not repeat.
        var text = valid
        if extra.hasPrefix("algorithm:") { text = "env: {id: CartPole-v1}\n" }
        text += extra + "\n"
        let error = try #require(self.error(text))
        #expect(error.path == path, "\(error)")
        #expect("\(error)".contains(message), "\(error)")
    }

    @Test func aDiscreteAlgorithmOnAContinuousEnvironmentFailsBeforeAnyWork() throws {
        let error = try #require(self.error("env: {id: Pendulum-v1}\nalgorithm: {name: dqn}\n"))
        #expect(error.path == "env.id")
        #expect("\(error)".contains("use algorithm.name: a2c or ppo or sac or td3"))
        let sac = try #require(self.error("env: {id: CartPole-v1}\nalgorithm: {name: sac}\n"))
        #expect("\(sac)".contains("discrete actions"))
    }

    @Test func anUnknownEnvironmentListsTheKnownOnes() throws {
        let error = try #require(self.error("env: {id: CartPol-v1}\nalgorithm: {name: dqn}\n"))
        #expect(error.path == "env.id")
        #expect("\(error)".contains("did you mean 'CartPole-v1'?"), "\(error)")
        // An id that is no typo is pointed to the bridge.
        let gymnasium = try #require(self.error("env: {id: LunarLander-v3}\nalgorithm: {name: dqn}\n"))
        #expect(!"\(gymnasium)".contains("did you mean") && "\(gymnasium)".contains("gymnasium_env.py, LunarLander-v3]"), "\(gymnasium)")
    }

    @Test func missingSectionsAreNamed() throws {
        #expect(error("env: {id: CartPole-v1}\n")?.path == "algorithm")
        #expect(error("algorithm: {name: dqn}\n")?.path == "env.id")
    }

    @Test func yamlSyntaxErrorsNameTheLine() throws {
        let error = try #require(self.error("env: {id: CartPole-v1}\nalgorithm:\n  name: dqn\n   lr: [1e-3\n"))
        guard case .syntax(_, let detail) = error else {
            Issue.record("expected a syntax error, got \(error)")
            return
        }
        #expect(detail.contains("line"), "\(detail)")
    }

    @Test func overridesAreTypedLikeTheFile() throws {
        let config = try ExperimentConfig.parse(valid, overrides: ["algorithm.lr=3e-4", "network.hidden=[32, 32]", "train.eval_every=null"])
        #expect(config.double("algorithm.lr") == 3e-4)
        #expect(config.ints("network.hidden") == [32, 32])
        #expect(config.optionalInt("train.eval_every") == nil)
        #expect(error(valid, overrides: ["algorithm.lr=fast"])?.path == "algorithm.lr")
        #expect(error(valid, overrides: ["nonsense"]) != nil)
    }

    @Test func aFailedStartCreatesNoRunDirectory() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nostart-\(UUID().uuidString)")
        #expect(throws: ConfigError.self) {
            _ = try ExperimentConfig.parse(valid, overrides: ["train.runs_dir=\(base.path)", "memory.capacity=10"])
        }
        #expect(!FileManager.default.fileExists(atPath: base.path))
    }
}

@Suite struct ShippedConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyShippedConfigAndSweepIsValid() throws {
        let configs = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("configs").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(configs == ["a2c-cartpole.yaml", "dqn-acrobot.yaml", "dqn-cartpole.yaml", "dqn-mountaincar.yaml", "ppo-acrobot.yaml", "ppo-cartpole.yaml",
                            "ppo-hopper.yaml", "ppo-pendulum.yaml", "sac-halfcheetah.yaml", "sac-mountaincar-continuous.yaml", "sac-pendulum.yaml",
                            "sac-walker2d.yaml", "td3-halfcheetah.yaml", "td3-pendulum.yaml"])
        for name in configs {
            // The MuJoCo configs validate against their environments only in a build that has MuJoCo.
            let mujoco = ["hopper", "halfcheetah", "walker2d"].contains { name.contains($0) }
            let config = try ExperimentConfig.load(file: Self.root.appendingPathComponent("configs").appendingPathComponent(name).path,
                                                   environments: mujoco && !MuJoCoTasks.isAvailable ? nil : .standard)
            #expect(name.hasPrefix(config.algorithm.rawValue))
        }
        // The CartPole config spells out the defaults: the same run as `rl-train` with no arguments.
        let cartPole = try ExperimentConfig.load(file: Self.root.appendingPathComponent("configs/dqn-cartpole.yaml").path)
        #expect(cartPole.id == (try ExperimentConfig.defaults(.dqn)).id)
        let sweep = try SweepSpec.load(file: Self.root.appendingPathComponent("sweeps/dqn-cartpole-lr.yaml").path)
        #expect(try sweep.expand().count == 6)
    }
}

/// A callback of the user's, written in Swift and configured by name.
final class LearningRateNote: Learner.Callback {
    let name = "lr_note"
    let factor: Double
    init(factor: Double) { self.factor = factor }
}

import Learner

@Suite struct CustomCallbackTests {
    func registry() throws -> CallbackRegistry {
        var registry = CallbackRegistry.builtIn
        try registry.register(CallbackKind(name: "lr_note", doc: "a user's callback", parameters: [
            ("factor", .float(min: 0, max: 1, minExclusive: true), "a factor", .float(0.5)),
        ], affectsTraining: true) { spec, _ in LearningRateNote(factor: spec["factor"]!.doubleValue!) })
        return registry
    }

    @Test func aRegisteredCallbackIsConfiguredByNameAndEntersTheIdentity() throws {
        let text = "env: {id: CartPole-v1}\nalgorithm: {name: dqn}\ncallbacks: [metrics, {lr_note: {factor: 0.25}}]\n"
        let config = try ExperimentConfig.parse(text, callbackRegistry: registry())
        // Merged by name into the defaults: the others stay, the new one is added.
        #expect(config.callbacks.map(\.name) == ["checkpointer", "metrics", "tensorboard", "episodes", "lr_note"])
        #expect(config.callbacks[4]["factor"] == .float(0.25))
        #expect(config.canonicalForm.contains("callbacks=[{\"lr_note\": {\"factor\": 0.25}}]"))
        let plain = try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: dqn}\ncallbacks: [metrics]\n")
        #expect(plain.id != config.id, "a callback that affects training changes the id")
        #expect(plain.id == (try ExperimentConfig.defaults(.dqn)).id, "loggers do not")
        #expect { _ = try ExperimentConfig.parse(text) } throws: { "\($0)".contains("callbacks[1].lr_note") }
        #expect {
            _ = try ExperimentConfig.parse(text.replacingOccurrences(of: "0.25", with: "2"), callbackRegistry: registry())
        } throws: { "\($0)".contains("callbacks[1].lr_note.factor") }
    }
}

extension CustomCallbackTests {
    /// A callbacks list that sets one callback keeps the other defaults (it used to replace
    /// them all: a run that tuned its checkpoints lost its TensorBoard logs), `false` leaves a
    /// default out, and on-policy algorithms count their cadences in rollouts.
    @Test func aCallbacksListMergesByNameIntoTheDefaults() throws {
        let tuned = try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: dqn}\ncallbacks: [{checkpointer: {every: 100}}]\n")
        #expect(tuned.callbacks.map(\.name) == ["checkpointer", "metrics", "tensorboard", "episodes"])
        #expect(tuned.callbacks[0]["every"] == .int(100) && tuned.callbacks[0]["keep"] == .int(3))
        let without = try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: dqn}\ncallbacks: [{tensorboard: false}]\n")
        #expect(without.callbacks.map(\.name) == ["checkpointer", "metrics", "episodes"])
        let ppo = try ExperimentConfig.defaults(.ppo)
        #expect(ppo.callbacks.map { $0["every"] } == [.int(50), .int(2), .int(1), .int(10)])
        #expect(ppo[TrainKeys.logEvery] == 10)
        let ppoTuned = try ExperimentConfig.defaults(.ppo, overrides: ["callbacks=[{checkpointer: {keep: 1}}]"])
        #expect(ppoTuned.callbacks[0]["every"] == .int(50), "an unset parameter takes the algorithm's default")
        #expect(try ExperimentConfig.defaults(.dqn).callbacks.map { $0["every"] } == [.int(5_000), .int(1_000), .int(100), .int(1_000)])
    }
}

@Suite struct ConfigEdgeTests {
    let valid = "env: {id: CartPole-v1}\nalgorithm: {name: dqn}\n"

    @Test func duplicateTagsAreRefused() throws {
        #expect { _ = try ExperimentConfig.parse(valid, overrides: ["train.tags=[algorithm.lr, algorithm.lr]"]) } throws: {
            ($0 as? ConfigError)?.path == "train.tags" && "\($0)".contains("listed twice")
        }
        // Also without an environment registry to validate against.
        #expect(throws: ConfigError.self) { _ = try ExperimentConfig.parse(valid, overrides: ["train.tags=[nope.key]"], environments: nil) }
    }

    @Test func aReplayMemoryLargerThanTheMachineIsRefusedBeforeAnyWork() throws {
        #expect { _ = try ExperimentConfig.parse(valid, overrides: ["memory.capacity=10000000000000"]) } throws: {
            ($0 as? ConfigError)?.path == "memory.capacity" && "\($0)".contains("GiB")
        }
        #expect { _ = try ExperimentConfig.parse(valid, overrides: ["network.hidden=[1000000000]"]) } throws: {
            ($0 as? ConfigError)?.path == "network.hidden"
        }
    }

    @Test func settingAValueTypesItAsTheFileWould() throws {
        var config = try ExperimentConfig.parse(valid)
        let reference = try ExperimentConfig.parse(valid, overrides: ["algorithm.lr=1.0", "memory.capacity=50000"])
        try config.set("algorithm.lr", .int(1))
        try config.set("memory.capacity", .float(5e4))
        #expect(config.id == reference.id)
        #expect(throws: ConfigError.self) { try config.set("memory.capacity", .null) }
        #expect(throws: ConfigError.self) { try config.set("memory.capacity", .float(0.5)) }
        #expect(throws: ConfigError.self) { try config.set("algorithm.gamma", .float(2)) }
    }

    @Test func negativeZeroHasTheSameIdentityAsZero() throws {
        #expect(try ExperimentConfig.parse(valid, overrides: ["train.threshold=-0.0"]).id
                == ExperimentConfig.parse(valid, overrides: ["train.threshold=0"]).id)
    }
}

@Suite struct ConfigSetTests {
    @Test func aFailedSetLeavesTheConfigAsItWas() throws {
        var config = try ExperimentConfig.defaults(.dqn)
        let before = config
        #expect(throws: ConfigError.self) { try config.set("train.tags", .list([.string("no.such.key")])) }
        #expect(throws: ConfigError.self) { try config.set("network.hidden", .list([.string("wide")])) }
        #expect(throws: ConfigError.self) { try config.set("algorithm.lr", .float(.infinity)) }
        #expect(throws: ConfigError.self) { try config.set("algorithm.name", .string("sac")) }
        #expect(config == before)
    }
}

/// rl-zoo's names point to ours (issue 29.5): `learning_rate` → `algorithm.lr`, at the top level
/// or inside a section.
@Suite struct ZooVocabularyTests {
    @Test func rlZooNamesPointToTheKeysThatSayTheSame() {
        #expect { _ = try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: dqn}\nlearning_rate: 0.001\n") } throws: {
            "\($0)".contains("did you mean 'algorithm.lr', rl-zoo's 'learning_rate'?")
        }
        #expect { _ = try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: dqn, buffer_size: 5000}\n") } throws: {
            "\($0)".contains("'memory.capacity', rl-zoo's 'buffer_size'")
        }
        #expect { _ = try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: ppo}\ntrain: {n_timesteps: 1000}\n") } throws: {
            "\($0)".contains("'train.env_steps', rl-zoo's 'n_timesteps'")
        }
        #expect { _ = try ExperimentConfig.parse("env: {id: CartPole-v1}\nalgorithm: {name: dqn}\nnetwork: {net_arch: [64, 64]}\n") } throws: {
            "\($0)".contains("'network.hidden', rl-zoo's 'net_arch'")
        }
    }
}
