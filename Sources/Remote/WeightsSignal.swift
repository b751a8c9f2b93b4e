import Learner
import NN
import Shared

/// Wakes the server's `Weights` streams when the learner publishes a new version, so a version
/// leaves for the collectors as soon as it exists (no polling). As a callback it runs after the
/// weight publisher in every update, and records the service's figures as metrics.
final class WeightsSignal: Callback, @unchecked Sendable {
    let name = "remote_weights_signal"
    var order: Int { 30 }   // after WeightPublishing (20) in the same update
    var cycle: Int? { 1 }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, Never>
    }
    private let waiters = Locked<(next: Int, list: [Waiter], closed: Bool)>((0, [], false))
    private var notified = -1
    private let weights: () -> WeightPublisher?
    private let metrics: () -> [(String, Double)]

    init(weights: @escaping () -> WeightPublisher?, metrics: @escaping () -> [(String, Double)]) {
        self.weights = weights
        self.metrics = metrics
    }

    func endCycle(_ state: inout TrainingState) throws {
        guard let version = weights()?.version, version != notified else { return }
        notified = version
        wakeAll()
        if state.updates % 100 == 0 { for (name, value) in metrics() { state.record(name, value) } }
    }

    func endTraining(_ state: inout TrainingState) throws {
        for (name, value) in metrics() { state.record(name, value) }
    }

    /// Returns once a version newer than `version` may exist (or the signal closed, or the task was cancelled).
    func wait(newerThan version: Int) async {
        if let current = weights()?.version, current > version { return }
        let id = waiters.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = waiters.withLock { state -> Bool in
                    if state.closed || Task.isCancelled { return true }
                    state.list.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                // A version published between the check above and the registration must not be missed.
                if resumeNow || (weights()?.version ?? Int.min) > version { resume(id: id, orNow: resumeNow ? continuation : nil) }
            }
        } onCancel: {
            resume(id: id, orNow: nil)
        }
    }

    /// Wakes every waiter for good (the service stopped).
    func close() {
        let list = waiters.withLock { state -> [Waiter] in
            state.closed = true
            defer { state.list = [] }
            return state.list
        }
        for waiter in list { waiter.continuation.resume() }
    }

    private func wakeAll() {
        let list = waiters.withLock { state -> [Waiter] in
            defer { state.list.removeAll(keepingCapacity: true) }
            return state.list
        }
        for waiter in list { waiter.continuation.resume() }
    }

    private func resume(id: Int, orNow continuation: CheckedContinuation<Void, Never>?) {
        if let continuation { continuation.resume(); return }
        let waiter = waiters.withLock { state -> Waiter? in
            guard let i = state.list.firstIndex(where: { $0.id == id }) else { return nil }
            return state.list.remove(at: i)
        }
        waiter?.continuation.resume()
    }
}
