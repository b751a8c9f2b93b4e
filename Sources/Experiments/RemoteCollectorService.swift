import Collectors
import Core
import Learner
import Memory
import NN

/// A way for collectors outside the learner's process to feed a run: the `Remote` module's gRPC
/// server, made by `RunOptions.collectorService` when the config sets `collectors.serve`.
/// `Experiment.run` makes it before the memory (whose rate limit leaves room for its batches),
/// starts it once the memory and the networks exist, and stops it as soon as training ends.
public protocol RemoteCollectorService: AnyObject {
    /// The most transitions one remote batch carries.
    var maxBatchTransitions: Int { get }
    /// Starts accepting collectors of `run`; throws when it cannot (the port is taken).
    func start(_ run: ServedRun) throws
    /// Callbacks for the learner's loop (they notice newly published weights).
    var callbacks: [Callback] { get }
    /// Stops accepting transitions. `finished`: the run is over and its collectors should
    /// exit; otherwise it was interrupted (resumable), and they wait for a learner to rejoin.
    /// The first call decides; later ones do nothing.
    func stop(finished: Bool)
}

/// What a `RemoteCollectorService` serves: the run's identity and config, the memory remote
/// collectors insert into (under its rate limit), the counters their steps and episodes add
/// to, and the weights their agents act with. Every part is safe to share between threads
/// (the config is an immutable value).
public struct ServedRun: @unchecked Sendable {
    public let config: ExperimentConfig
    public let table: ReplayTable
    public let statistics: RunControl
    public let weights: WeightPublisher

    public init(config: ExperimentConfig, table: ReplayTable, statistics: RunControl, weights: WeightPublisher) {
        self.config = config
        self.table = table
        self.statistics = statistics
        self.weights = weights
    }
}

/// Why remote collectors cannot be served.
public enum RemoteCollectorServiceError: Error, CustomStringConvertible {
    case notBuilt
    public var description: String {
        switch self {
        case .notBuilt:
            return "collectors.serve (--serve) needs rl-train built with remote collectors: run scripts/build-remote.sh "
                + "(gRPC; about 8 minutes the first time on 2 cores) and use .build-remote/release/rl-train"
        }
    }
}
