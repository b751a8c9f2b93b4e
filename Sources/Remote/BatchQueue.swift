import Foundation
import Shared

/// The batches of one collector process between its collector threads and the learner: at
/// most `window` of them submitted but not yet acknowledged. A collector thread that would
/// exceed the window waits (so a slow learner slows the collectors); the sender task takes the
/// unsent ones in order; an acknowledgement releases a batch for good; after a broken stream the
/// unacknowledged ones go out again. A collector that dies loses at most its window.
final class BatchQueue: @unchecked Sendable {
    /// How the queue ended.
    enum Ending: Equatable {
        /// The learner said the run is over.
        case finished
        /// This process stops (a signal, a collector error, the learner gone).
        case stopped
    }

    let window: Int
    private let condition = NSCondition()
    private var unsent: [TransitionBatch] = []
    private var unacknowledged: [TransitionBatch] = []
    private var nextSequence: UInt64 = 0
    private var ended: Ending?
    private var blockedSubmitters = 0

    /// Collector threads waiting in `submit` for room in the window right now.
    var waitingSubmitters: Int {
        condition.lock()
        defer { condition.unlock() }
        return blockedSubmitters
    }

    /// How the queue ended (nil while it goes on).
    var ending: Ending? {
        condition.lock()
        defer { condition.unlock() }
        return ended
    }
    /// The sender task waiting for a batch to send.
    private let sender = WaiterList()

    init(window: Int) {
        precondition(window >= 1)
        self.window = window
    }

    /// Queues a batch (from a collector thread); waits while the window is full. Throws once the queue ended.
    func submit(_ batch: TransitionBatch) throws {
        condition.lock()
        while ended == nil, unsent.count + unacknowledged.count >= window {
            blockedSubmitters += 1
            condition.wait()
            blockedSubmitters -= 1
        }
        if let ending = ended {
            condition.unlock()
            throw ending == .finished ? BatchQueueEnded.finished : BatchQueueEnded.stopped
        }
        var batch = batch
        batch.sequence = nextSequence
        nextSequence += 1
        unsent.append(batch)
        condition.unlock()
        sender.wakeAll()
    }

    /// The next batch to send (from the sender task), moved to the unacknowledged ones; nil once
    /// the queue ended or the task was cancelled.
    func next() async -> TransitionBatch? {
        while !Task.isCancelled {
            let (batch, ended) = takeUnsent()
            if ended { return nil }
            if let batch { return batch }
            await sender.wait { [self] in hasWork }
        }
        return nil
    }

    /// Whether the sender has something to do: a batch to send, or the end.
    private var hasWork: Bool {
        condition.lock()
        defer { condition.unlock() }
        return ended != nil || !unsent.isEmpty
    }

    private func takeUnsent() -> (TransitionBatch?, ended: Bool) {
        condition.lock()
        defer { condition.unlock() }
        if ended != nil { return (nil, true) }
        guard !unsent.isEmpty else { return (nil, false) }
        let batch = unsent.removeFirst()
        unacknowledged.append(batch)
        return (batch, false)
    }

    /// The learner has batch `sequence` (and every one before it on this stream).
    func acknowledge(_ sequence: UInt64) {
        condition.lock()
        unacknowledged.removeAll { $0.sequence <= sequence }
        condition.broadcast()
        condition.unlock()
    }

    /// A stream broke: what it sent without an answer goes out again, first.
    func resendUnacknowledged() {
        condition.lock()
        unsent.insert(contentsOf: unacknowledged, at: 0)
        unacknowledged.removeAll()
        condition.unlock()
        sender.wakeAll()
    }

    /// The learner already inserted every batch before `sequence` (a reconnection to the same learner).
    func dropBefore(_ sequence: UInt64) {
        condition.lock()
        unsent.removeAll { $0.sequence < sequence }
        unacknowledged.removeAll { $0.sequence < sequence }
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the queue: waiting collectors throw, the sender's `next` returns nil.
    func end(_ how: Ending) {
        condition.lock()
        if ended == nil { ended = how }
        condition.broadcast()
        condition.unlock()
        sender.close()
    }

    /// Batches submitted and not yet acknowledged.
    var outstanding: Int {
        condition.lock()
        defer { condition.unlock() }
        return unsent.count + unacknowledged.count
    }
}

/// Why `BatchQueue.submit` refused a batch.
enum BatchQueueEnded: Error {
    case finished, stopped
}
