import Learner

extension Algorithm {
    /// Advantage actor-critic (Mnih et al. 2016, synchronous): PPO's parts with one gradient
    /// step per rollout over all of it and no clipping, which is A2C's −Â∇log π objective. It
    /// uses Adam where Stable-Baselines3's A2C uses RMSprop. Defaults are rl-zoo's CartPole-v1
    /// hyperparameters.
    public static let a2c = Algorithm(
        name: .a2c, summary: "Advantage Actor-Critic: one step per short rollout (discrete or continuous actions)",
        actions: .any, defaultEnvironment: "CartPole-v1",
        keys: actorCriticKeys(steps: 5, lambda: 1, normalizeAdvantage: false, learningRateSchedule: .constant),
        defaults: [
            "algorithm.lr": .float(7e-4), "algorithm.gamma": .float(0.99), "network.hidden": .list([.int(64), .int(64)]),
            "network.init": .string("orthogonal"), "collectors.num_envs": .int(8), "train.env_steps": .int(500_000), "train.eval_every": .int(500),
            // An update is a whole rollout here: cadences counted in updates are set so that a
            // run of a few hundred rollouts prints, writes metrics, TensorBoard points and
            // periodic checkpoints (with the shared defaults, in thousands of updates, it wrote none).
            "train.log_every": .int(250), "callbacks.metrics.every": .int(50), "callbacks.tensorboard.every": .int(10),
            "callbacks.checkpointer.every": .int(2_500), "callbacks.episodes.every": .int(250),
        ],
        metrics: [PPOKeys.policyLoss, PPOKeys.valueLoss, PPOKeys.entropy, PPOKeys.explainedVariance, PPOKeys.learningRate],
        dataFlow: RolloutFlow()
    ) { config, environment in
        try actorCriticParts(config, environment, epochs: 1, minibatchSize: nil, clipRange: nil, clipRangeSchedule: .constant,
                             valueClipRange: nil, targetKL: nil)
    }
}
