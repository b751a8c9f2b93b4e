/// The names inside a run directory, in one place: the run, the checkpointer and the loggers
/// write them; resume, reports, sweeps and the Python side read them.
///
///     runs/dqn-CartPole-v1-1a2b3c4d/
///       config.yaml  result.json  metrics.csv  episodes.csv  tensorboard/  checkpoints/best.safetensors.gz
public enum RunFiles {
    /// The resolved config the run was started with.
    public static let config = "config.yaml"
    /// The run's outcome (`RunResult`), written once it finished; absent while it is interrupted.
    public static let result = "result.json"
    public static let metrics = "metrics.csv"
    public static let episodes = "episodes.csv"
    public static let tensorboard = "tensorboard"
    public static let checkpoints = "checkpoints"
    /// The best policy the periodic evaluations found, inside `checkpoints`.
    public static let bestPolicy = "best.safetensors.gz"
}
