import Atomics
import Collectors
import Core
import Memory

/// A collector thread's `TransitionWriter` in a collector process: packs transitions into rows
/// (`TransitionRows`) and submits a batch to the process's `BatchQueue` when it holds
/// `maxTransitions`, or at a vector step's flush once it is `maxDelay` old (a slow environment
/// still reaches the learner promptly). Episodes that ended go with the next batch.
final class RemoteWriter: TransitionWriter {
    let spec: TransitionSpec
    private let rows: TransitionRows
    private let queue: BatchQueue
    private let statistics: RunControl
    private let episodes: EpisodeLog
    private let policyVersion: ManagedAtomic<Int>
    private let maxTransitions: Int
    private let maxDelay: Duration
    private var buffer: [UInt8] = []
    private var count = 0
    private var started = ContinuousClock.now

    /// `policyVersion`: the learner's version of the weights the process acts with (−1 before any).
    /// Once the queue has ended (the run finished, the process stops), batches are dropped and
    /// the collectors of `statistics` are asked to stop.
    init(spec: TransitionSpec, queue: BatchQueue, statistics: RunControl, episodes: EpisodeLog, policyVersion: ManagedAtomic<Int>,
         maxTransitions: Int, maxDelay: Duration = .milliseconds(2)) {
        self.spec = spec
        rows = TransitionRows(spec: spec)
        self.queue = queue
        self.statistics = statistics
        self.episodes = episodes
        self.policyVersion = policyVersion
        self.maxTransitions = maxTransitions
        self.maxDelay = maxDelay
        buffer.reserveCapacity(maxTransitions * rows.width * 4)
    }

    func insert(_ t: TransitionView) throws {
        if count == 0 { started = .now }
        rows.append(t, to: &buffer)
        count += 1
        if count == maxTransitions { try send() }
    }

    func flush() throws {
        if count > 0, ContinuousClock.now - started >= maxDelay { try send() }
    }

    func abandon() { queue.end(.stopped) }

    private func send() throws {
        let batch = TransitionBatch(epoch: 0, incarnation: 0, sequence: 0, policyVersion: Int64(policyVersion.load(ordering: .relaxed)),
                                    count: count, width: rows.width,
                                    episodes: episodes.drain().map { EpisodeReport(return: $0.return, length: $0.length) }, rows: buffer)
        buffer.removeAll(keepingCapacity: true)
        count = 0
        do {
            try queue.submit(batch)
        } catch is BatchQueueEnded {
            statistics.requestStop()
        }
    }
}
