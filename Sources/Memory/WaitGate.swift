import Atomics
import Foundation

/// Where threads of the replay memory sleep while they cannot proceed (the learner before the
/// table is full enough, either side when the rate limiter holds it back).
///
/// The fast path never locks: a thread that can proceed does not touch the gate, and a thread
/// that changed a counter only takes the lock to wake sleepers when `waiters > 0`. Ordering
/// argument (Dekker's pattern): a sleeper increments `waiters` and then re-reads the counters,
/// a waker changes a counter and then reads `waiters`; all four are sequentially consistent
/// operations (the wakers' counter updates are SC read-modify-writes, the predicates' loads SC),
/// so in their single total order at least one of them sees the other's write: either the
/// sleeper sees the new counter and does not sleep, or the waker sees the sleeper and wakes it.
/// The wait is also timed (`pollInterval`), so no interleaving can sleep forever, and `close()`
/// wakes everyone for shutdown.
final class WaitGate: @unchecked Sendable {
    private let condition = NSCondition()
    private let waiters = ManagedAtomic<Int>(0)
    private let closedFlag = ManagedAtomic<Bool>(false)
    private let pollInterval: TimeInterval = 0.05

    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Threads inside `wait` whose condition did not hold on entry (asleep, or about to sleep).
    var sleepers: Int { waiters.load(ordering: .sequentiallyConsistent) }

    private let learnerReleased = ManagedAtomic<Bool>(false)

    /// Whether the learner's waits end (`releaseLearner`).
    var isLearnerReleased: Bool { learnerReleased.load(ordering: .acquiring) }

    /// Blocks until `ready()` is true; throws `ReplayError.closed` if the gate is closed first
    /// (or, for a wait of the learner's, once the learner is released).
    func wait(learner: Bool = false, until ready: () -> Bool) throws {
        if ready() { return }
        waiters.wrappingIncrement(ordering: .sequentiallyConsistent)
        defer { waiters.wrappingDecrement(ordering: .sequentiallyConsistent) }
        condition.lock()
        defer { condition.unlock() }
        while !ready() {
            if isClosed || (learner && isLearnerReleased) { throw ReplayError.closed }
            _ = condition.wait(until: Date(timeIntervalSinceNow: pollInterval))
        }
    }

    /// Wakes sleepers, if there are any; call after changing a counter they may wait on.
    @inline(__always)
    func notify() {
        if waiters.load(ordering: .sequentiallyConsistent) > 0 {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Wakes everyone and makes the learner's current and future waits throw `ReplayError.closed`.
    func releaseLearner() {
        learnerReleased.store(true, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes everyone and makes every current and future wait throw `ReplayError.closed`.
    func close() {
        closedFlag.store(true, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}
