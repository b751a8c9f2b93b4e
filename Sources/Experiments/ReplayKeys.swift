/// The keys of replay algorithms (`ReplayFlow`): batch and replay ratio, n-step returns, the replay memory and its sampling, and how often the collectors get new weights. Algorithms with another data flow do not have them.
public enum ReplayKeys {
    public static let batchSize = TypedKey<Int>("algorithm.batch_size", .int(min: 1, max: nil), "transitions per learner update", .int(256))
    public static let updatesPerStep = TypedKey<Double>("algorithm.updates_per_step", .float(min: 1e-4, max: 1e4, minExclusive: false),
                      "learner updates per environment step (the replay ratio, held by the rate limiter)", .float(1))
    public static let nStep = TypedKey<Int>("algorithm.n_step", .int(min: 1, max: 100), "rewards folded into one transition on the collector side", .int(1))
    public static let capacity = TypedKey<Int>("memory.capacity", .int(min: 1, max: nil), "transitions kept (oldest overwritten first)", .int(1_000_000))
    public static let minSize = TypedKey<Int>("memory.min_size", .int(min: 1, max: nil), "transitions stored before learning starts", .int(1_000))
    public static let prioritized = TypedKey<Bool>("memory.prioritized", .bool,
                      "proportional prioritized replay (Schaul et al. 2016), for algorithms whose loss updates priorities (dqn)", .bool(false))
    public static let priorityAlpha = TypedKey<Double>("memory.priority_alpha", .float(min: 0, max: nil, minExclusive: false), "prioritized replay: priority exponent α", .float(0.6))
    public static let priorityBeta = TypedKey<Double>("memory.priority_beta", .float(min: 0, max: 1, minExclusive: false),
                      "prioritized replay: importance-sampling exponent β at the start, raised linearly to 1 over train.env_steps", .float(0.4))
    public static let publishEvery = TypedKey<Int>("collectors.publish_every", .int(min: 1, max: nil), "learner updates between weight snapshots for the collectors",
                      .int(1))

    /// The group, in the order configs are written.
    public static let all: [ConfigKey] = [batchSize.key, updatesPerStep.key, nStep.key, capacity.key, minSize.key, prioritized.key, priorityAlpha.key, priorityBeta.key, publishEvery.key]
}
