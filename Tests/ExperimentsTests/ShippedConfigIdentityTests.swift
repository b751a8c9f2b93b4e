import Experiments
import Foundation
import Testing

/// The identity of every shipped config, pinned: a change to a default, a key or the seeding that
/// moves one of them must be deliberate (bump `ConfigSchema.identityVersion` and update these).
/// Identity version 3: the replay keys became the replay flow's group, so PPO and A2C configs
/// no longer hold them.
@Suite struct ShippedConfigIdentityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let pinned: [String: (id: String, canonical: String)] = [
        "a2c-cartpole.yaml": ("2b20edf44cf15d3f1523f2fc0b012145628a89b309e9f00d9b5e53f9f89e94a9",
               "identity_version=3\nalgorithm.name=\"a2c\"\nenv.id=\"CartPole-v1\""),
        "dqn-acrobot.yaml": ("900877fa768fab28f727d69bf5ba86bf08e4e064efc7165d47bd3e3856ac6cf2",
               "identity_version=3\nalgorithm.batch_size=128\nalgorithm.exploration_steps=12000\nalgorithm.final_epsilon=0.1\nalgorithm.lr=0.00063\nalgorithm.name=\"dqn\"\nalgorithm.target_update_every=250\nalgorithm.updates_per_step=1.0\nenv.id=\"Acrobot-v1\"\nmemory.capacity=50000\nnetwork.hidden=[256, 256]\ntrain.env_steps=100000\ntrain.eval_every=2000"),
        "dqn-cartpole.yaml": ("a16bb985b9d4f4a5c564ab4a411aa03b5916c8ef3febcfab36abba3d9d1ed9b0",
               "identity_version=3\nalgorithm.name=\"dqn\"\nenv.id=\"CartPole-v1\""),
        "dqn-mountaincar.yaml": ("c5186cd38daecb661823bb76ee7c90ffe1d02fdda73f6fc20a1f92ff3b7adc1e",
               "identity_version=3\nalgorithm.batch_size=128\nalgorithm.double_dqn=false\nalgorithm.exploration_steps=24000\nalgorithm.final_epsilon=0.07\nalgorithm.gamma=0.98\nalgorithm.lr=0.004\nalgorithm.n_step=3\nalgorithm.name=\"dqn\"\nalgorithm.target_update_every=300\ncollectors.num_envs=1\nenv.id=\"MountainCar-v0\"\nmemory.capacity=10000\nnetwork.hidden=[256, 256]\ntrain.env_steps=120000\ntrain.eval_every=2000"),
        "ppo-acrobot.yaml": ("17fc40943f9fe4bb32b7a44867d641d3cc99272dbdf883ececd1091b4994bc51",
               "identity_version=3\nalgorithm.batch_size=64\nalgorithm.clip_range_schedule=\"constant\"\nalgorithm.gae_lambda=0.94\nalgorithm.gamma=0.99\nalgorithm.lr=0.0003\nalgorithm.lr_schedule=\"constant\"\nalgorithm.n_epochs=4\nalgorithm.n_steps=256\nalgorithm.name=\"ppo\"\ncollectors.num_envs=16\nenv.id=\"Acrobot-v1\"\nenv.normalize_observations=true\nenv.normalize_rewards=true\ntrain.env_steps=1000000\ntrain.eval_every=5"),
        "ppo-cartpole.yaml": ("e1e667cf5cba4b2a38dafa51430d44dad95f0059870f850727b3cff5d32444c8",
               "identity_version=3\nalgorithm.name=\"ppo\"\nenv.id=\"CartPole-v1\""),
        "ppo-pendulum.yaml": ("561565bd0aff0a791f08ed7c370b9642431c1e4b77e10b0d8b5b08020d5f94c7",
               "identity_version=3\nalgorithm.batch_size=64\nalgorithm.clip_range_schedule=\"constant\"\nalgorithm.gae_lambda=0.95\nalgorithm.gamma=0.9\nalgorithm.lr_schedule=\"constant\"\nalgorithm.n_epochs=10\nalgorithm.n_steps=1024\nalgorithm.name=\"ppo\"\ncollectors.num_envs=4\nenv.id=\"Pendulum-v1\"\nenv.normalize_observations=true\nenv.normalize_rewards=true\ntrain.eval_every=2\ntrain.threshold=-250.0"),
        "sac-mountaincar-continuous.yaml": ("794c481721eb8ff6528cc09fc26118b4535be90e46500ec8d27f926c5f106312",
               "identity_version=3\nalgorithm.batch_size=512\nalgorithm.exploration_noise=\"pink\"\nalgorithm.gamma=0.9999\nalgorithm.initial_alpha=0.1\nalgorithm.lr=0.0003\nalgorithm.name=\"sac\"\nalgorithm.tau=0.01\nalgorithm.tune_alpha=false\nenv.id=\"MountainCarContinuous-v0\"\nmemory.capacity=50000\nmemory.min_size=512\nnetwork.hidden=[64, 64]\ntrain.env_steps=50000\ntrain.eval_every=2500"),
        "sac-pendulum.yaml": ("9aa5a40bc759a931902431ba8a209ad5ce1ddeeac254a964e5f9b2ff1db6fd12",
               "identity_version=3\nalgorithm.name=\"sac\"\nenv.id=\"Pendulum-v1\""),
        "td3-pendulum.yaml": ("e2242441305b6736579d1aba43614f008765227b4b0e81ade186b4407bc47eb1",
               "identity_version=3\nalgorithm.gamma=0.98\nalgorithm.n_step=3\nalgorithm.name=\"td3\"\nalgorithm.random_steps=1000\nenv.id=\"Pendulum-v1\"\nmemory.capacity=200000\nmemory.min_size=1000\nnetwork.hidden=[256, 256]"),
    ]

    @Test func everyShippedConfigHasItsPinnedCanonicalFormAndID() throws {
        let directory = Self.root.appendingPathComponent("configs")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names == Self.pinned.keys.sorted())
        for name in names {
            let config = try ExperimentConfig.load(file: directory.appendingPathComponent(name).path)
            let pin = try #require(Self.pinned[name])
            #expect(config.canonicalForm == pin.canonical, "\(name)")
            #expect(config.id == pin.id, "\(name)")
        }
    }

    /// An on-policy config holds only what its algorithm reads: no replay memory, replay ratio,
    /// n-step or weight-publishing keys, in its file or its identity.
    @Test func onPolicyConfigsHoldNoReplayKeys() throws {
        for algorithm in [AlgorithmName.ppo, .a2c] {
            let paths = Set(try ExperimentConfig.defaults(algorithm).keys.map(\.path))
            for replay in ReplayKeys.all.map(\.path) where !(algorithm == .ppo && replay == PPOConfig.batchSize.path) {
                #expect(!paths.contains(replay), "\(algorithm) has \(replay)")
            }
            #expect { _ = try ExperimentConfig.defaults(algorithm, overrides: ["memory.capacity=10"]) } throws: { "\($0)".contains("memory.capacity") }
        }
        #expect(try ExperimentConfig.defaults(.ppo).keys.contains { $0.path == "algorithm.batch_size" && $0.doc.contains("minibatch") })
        #expect(Set(try ExperimentConfig.defaults(.dqn).keys.map(\.path)).isSuperset(of: ReplayKeys.all.map(\.path)))
    }
}
