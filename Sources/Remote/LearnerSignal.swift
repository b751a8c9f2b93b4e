import Learner
import Memory
import NN
import Shared

/// Wakes the server's handlers when the learner moves, so nothing polls: a `Weights` stream as
/// soon as a new version is published, an `Insert` stream held back by the rate limiter after
/// each update (the learner's samples are what admits inserts again). As a callback it runs
/// after the weight publisher in every update, and records the service's figures as metrics.
final class LearnerSignal: Callback, @unchecked Sendable {
    let name = "remote_learner_signal"
    var phase: CallbackPhase { .publish }   // after the run's own weight publishing, listed before it
    var cycle: Int? { 1 }

    private let versions = WaiterList()
    private let updates = WaiterList()
    private var notified = -1
    /// When the learner published its recent versions (version % capacity → (version, time)).
    private let published = Locked([(version: Int, time: ContinuousClock.Instant)](repeating: (-1, .now), count: 4096))
    /// The run's weights and memory, set by `attach` before training starts (and before any
    /// handler runs), read by the learner's thread and the handlers afterwards.
    private var weights: WeightPublisher?
    private var table: ReplayTable?
    private let metrics: () -> [(String, Double)]

    init(metrics: @escaping () -> [(String, Double)]) {
        self.metrics = metrics
    }

    /// The run to signal for: its publisher, and the memory whose rate limiter admits inserts.
    func attach(weights: WeightPublisher, table: ReplayTable) {
        self.weights = weights
        self.table = table
    }

    func endCycle(_ state: inout TrainingState) throws {
        if updates.hasWaiters, table?.admitsInserts(countingWait: false) ?? true { updates.wakeAll() }
        guard let version = weights?.version, version != notified else { return }
        notified = version
        let now = ContinuousClock.now
        published.withLock { $0[version % $0.count] = (version, now) }
        versions.wakeAll()
        if state.updates % 100 == 0 { for (name, value) in metrics() { state.record(name, value) } }
    }

    func endTraining(_ state: inout TrainingState) throws {
        for (name, value) in metrics() { state.record(name, value) }
    }

    /// Returns once a version newer than `version` may exist (or the signal closed, or the task was cancelled).
    func wait(newerThan version: Int) async {
        await versions.wait { (self.weights?.version ?? Int.min) > version }
    }

    /// Returns once `ready()` holds after one of the learner's updates (or the signal closed, or the task was cancelled).
    func waitForUpdate(until ready: @escaping @Sendable () -> Bool) async {
        await updates.wait(until: ready)
    }

    /// Whether a `Weights` stream waits for a newer version right now.
    var hasVersionWaiters: Bool { versions.hasWaiters }
    /// Whether an `Insert` stream waits for the learner's next update right now (held back by the rate limiter).
    var hasUpdateWaiters: Bool { updates.hasWaiters }

    /// When version `version` was published, if it is recent enough to be remembered.
    func publishTime(of version: Int) -> ContinuousClock.Instant? {
        published.withLock { ring in
            let entry = ring[version % ring.count]
            return entry.version == version ? entry.time : nil
        }
    }

    /// Wakes every waiter for good (the service stopped).
    func close() {
        versions.close()
        updates.close()
    }
}
