/// Stable-Baselines3 / rl-zoo hyperparameter names and the config keys that say the same, so a
/// user who writes `learning_rate` or `n_timesteps` is pointed to `algorithm.lr` or
/// `train.env_steps` instead of a list of keys.
enum ZooVocabulary {
    static let keys: [String: String] = [
        "learning_rate": "algorithm.lr", "lr": "algorithm.lr",
        "n_timesteps": "train.env_steps", "total_timesteps": "train.env_steps",
        "buffer_size": "memory.capacity", "learning_starts": "memory.min_size (and algorithm.random_steps for SAC/TD3's uniform warm-up)",
        "train_freq": "algorithm.updates_per_step (updates per env step: gradient_steps / train_freq)",
        "gradient_steps": "algorithm.updates_per_step (updates per env step: gradient_steps / train_freq)",
        "exploration_fraction": "algorithm.exploration_steps (in env steps: exploration_fraction × n_timesteps)",
        "exploration_final_eps": "algorithm.final_epsilon", "exploration_initial_eps": "algorithm.initial_epsilon",
        "target_update_interval": "algorithm.target_update_every (in updates)",
        "net_arch": "network.hidden", "policy_kwargs": "network.hidden, network.init, algorithm.activation, algorithm.log_std_init",
        "n_envs": "collectors.num_envs", "normalize": "env.normalize_observations and env.normalize_rewards",
        "batch_size": "algorithm.batch_size", "gamma": "algorithm.gamma", "tau": "algorithm.tau", "ent_coef": "algorithm.ent_coef",
        "n_steps": "algorithm.n_steps", "n_epochs": "algorithm.n_epochs", "gae_lambda": "algorithm.gae_lambda",
        "clip_range": "algorithm.clip_range", "vf_coef": "algorithm.vf_coef", "max_grad_norm": "algorithm.max_grad_norm",
        "seed": "train.seed", "env": "env.id", "env_id": "env.id", "algo": "algorithm.name", "policy": "network (MLP policies only)",
        "eval_freq": "train.eval_every (in updates)", "n_eval_episodes": "eval.episodes", "log_interval": "train.log_every (in updates)",
        "action_noise": "algorithm.action_noise", "noise_std": "algorithm.action_noise", "noise_type": "algorithm.exploration_noise",
    ]

    /// The config key(s) for an rl-zoo name (the last component of `path`), if it is one.
    static func suggestion(for path: String) -> String? {
        keys[String(path.split(separator: ".").last ?? Substring(path))]
    }
}
