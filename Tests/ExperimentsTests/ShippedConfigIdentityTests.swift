import Experiments
import Foundation
import Testing

/// The identity of every shipped config, pinned: a change to a default, a key or the seeding that
/// moves one of them must be deliberate (bump `ConfigSchema.identityVersion` and update these).
/// Identity version 3: the replay keys became the replay flow's group, so PPO and A2C configs
/// no longer hold them. Version 4: "solved" needs the prediction bound of a fresh evaluation,
/// which changes when a run stops.
@Suite struct ShippedConfigIdentityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let pinned: [String: (id: String, canonical: String)] = [
        "a2c-cartpole.yaml": ("56c5cee42f33f147443e17d56ca7e9560cc84fa4c8b1eb2f450914b443e925bf",
               "identity_version=4\nalgorithm.name=\"a2c\"\nenv.id=\"CartPole-v1\""),
        "dqn-acrobot.yaml": ("b80ea7c15b1bec563f56b485d49ea15e447e24f346c2ee2276966ec492174ef5",
               "identity_version=4\nalgorithm.batch_size=128\nalgorithm.exploration_steps=12000\nalgorithm.final_epsilon=0.1\nalgorithm.lr=0.00063\nalgorithm.name=\"dqn\"\nalgorithm.target_update_every=250\nalgorithm.updates_per_step=1.0\nenv.id=\"Acrobot-v1\"\nmemory.capacity=50000\nnetwork.hidden=[256, 256]\ntrain.env_steps=100000\ntrain.eval_every=2000"),
        "dqn-cartpole.yaml": ("37ae5aac2c90c9507ee65f75ea32c8ab38eebfd7b118f90d6313d6a208f28528",
               "identity_version=4\nalgorithm.name=\"dqn\"\nenv.id=\"CartPole-v1\""),
        "dqn-mountaincar.yaml": ("b6fd1004071f6b47913d86cb084021f26bd9fc3dcb60f4140367c97e28c79a39",
               "identity_version=4\nalgorithm.batch_size=128\nalgorithm.double_dqn=false\nalgorithm.exploration_steps=24000\nalgorithm.final_epsilon=0.07\nalgorithm.gamma=0.98\nalgorithm.lr=0.004\nalgorithm.n_step=3\nalgorithm.name=\"dqn\"\nalgorithm.target_update_every=300\ncollectors.num_envs=1\nenv.id=\"MountainCar-v0\"\nmemory.capacity=10000\nnetwork.hidden=[256, 256]\ntrain.env_steps=120000\ntrain.eval_every=2000"),
        "ppo-acrobot.yaml": ("5d4d02a25f40b983398b03f442cc25a0802f17d159d05aa24a8e1b991039d74a",
               "identity_version=4\nalgorithm.batch_size=64\nalgorithm.clip_range_schedule=\"constant\"\nalgorithm.gae_lambda=0.94\nalgorithm.gamma=0.99\nalgorithm.lr=0.0003\nalgorithm.lr_schedule=\"constant\"\nalgorithm.n_epochs=4\nalgorithm.n_steps=256\nalgorithm.name=\"ppo\"\ncollectors.num_envs=16\nenv.id=\"Acrobot-v1\"\nenv.normalize_observations=true\nenv.normalize_rewards=true\ntrain.env_steps=1000000\ntrain.eval_every=5"),
        "ppo-cartpole.yaml": ("dd59a627ce3d283cf181e9132200653d818b5506afed95be01bad5d3480bfdb1",
               "identity_version=4\nalgorithm.name=\"ppo\"\nenv.id=\"CartPole-v1\""),
        "ppo-pendulum.yaml": ("8fe343b135b19ab6858c3ef8d75da72b114e6cab1321d3c9f61ccaa2de608e56",
               "identity_version=4\nalgorithm.batch_size=64\nalgorithm.clip_range_schedule=\"constant\"\nalgorithm.gae_lambda=0.95\nalgorithm.gamma=0.9\nalgorithm.lr_schedule=\"constant\"\nalgorithm.n_epochs=10\nalgorithm.n_steps=1024\nalgorithm.name=\"ppo\"\ncollectors.num_envs=4\nenv.id=\"Pendulum-v1\"\nenv.normalize_observations=true\nenv.normalize_rewards=true\ntrain.eval_every=2\ntrain.threshold=-250.0"),
        "td3-halfcheetah.yaml": ("f97f4ad11498e25061f12cf8c47febc337dec70ee33fb7f45b68b447214c8ded",
               "identity_version=4\nalgorithm.name=\"td3\"\nalgorithm.random_steps=10000\nenv.id=\"HalfCheetah-v5\"\nmemory.min_size=10000\ntrain.env_steps=100000\ntrain.eval_every=10000\ntrain.stop_at_threshold=false"),
        "ppo-hopper.yaml": ("1a26a99058310491cc75f8462cb10a08ecf0d69ffdaa2616b15de68948f95d87",
               "identity_version=4\nalgorithm.batch_size=64\nalgorithm.clip_range_schedule=\"constant\"\nalgorithm.gae_lambda=0.95\nalgorithm.gamma=0.99\nalgorithm.lr=0.0003\nalgorithm.n_epochs=10\nalgorithm.n_steps=2048\nalgorithm.name=\"ppo\"\ncollectors.num_envs=1\nenv.id=\"Hopper-v5\"\nenv.normalize_observations=true\nenv.normalize_rewards=true\ntrain.env_steps=1000000\ntrain.eval_every=20\ntrain.stop_at_threshold=false"),
        "sac-walker2d.yaml": ("2072e51b1a24699c9be25949af978a576c49738fe9f3445484b31fbe9e9867b7",
               "identity_version=4\nalgorithm.lr=0.0003\nalgorithm.name=\"sac\"\nalgorithm.random_steps=10000\nenv.id=\"Walker2d-v5\"\nmemory.min_size=10000\ntrain.env_steps=300000\ntrain.eval_every=10000\ntrain.stop_at_threshold=false"),
        "sac-halfcheetah.yaml": ("20c72e804911ae229398218833b78d12c7ba55eba69c8c31b22330391ccc4b7e",
               "identity_version=4\nalgorithm.lr=0.0003\nalgorithm.name=\"sac\"\nalgorithm.random_steps=10000\nenv.id=\"HalfCheetah-v5\"\nmemory.min_size=10000\ntrain.env_steps=100000\ntrain.eval_every=10000\ntrain.stop_at_threshold=false"),
        "sac-mountaincar-continuous.yaml": ("019d5a4a4878049e82ce32d2dc5f08781dc8697dbef53e8d0c9f3b3868ffd019",
               "identity_version=4\nalgorithm.batch_size=512\nalgorithm.exploration_noise=\"pink\"\nalgorithm.gamma=0.9999\nalgorithm.initial_alpha=0.1\nalgorithm.lr=0.0003\nalgorithm.name=\"sac\"\nalgorithm.tau=0.01\nalgorithm.tune_alpha=false\nenv.id=\"MountainCarContinuous-v0\"\nmemory.capacity=50000\nmemory.min_size=512\nnetwork.hidden=[64, 64]\ntrain.env_steps=50000\ntrain.eval_every=2500"),
        "sac-pendulum.yaml": ("cf7e47b0a15e6d64af3472d78b38845cae5b3219d5c118ddf57d0ba90885f43e",
               "identity_version=4\nalgorithm.name=\"sac\"\nenv.id=\"Pendulum-v1\""),
        "td3-pendulum.yaml": ("9deee27bd0948ef81ff5cb4833b89f03d3b67dfc7e806e876ffa2a60ba13f41f",
               "identity_version=4\nalgorithm.gamma=0.98\nalgorithm.n_step=3\nalgorithm.name=\"td3\"\nalgorithm.random_steps=1000\nenv.id=\"Pendulum-v1\"\nmemory.capacity=200000\nmemory.min_size=1000\nnetwork.hidden=[256, 256]"),
    ]

    @Test func everyShippedConfigHasItsPinnedCanonicalFormAndID() throws {
        let directory = Self.root.appendingPathComponent("configs")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names == Self.pinned.keys.sorted())
        for name in names {
            // Not validated against the environments: the MuJoCo configs' identities hold in a build without MuJoCo too.
            let config = try ExperimentConfig.load(file: directory.appendingPathComponent(name).path, environments: nil)
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
