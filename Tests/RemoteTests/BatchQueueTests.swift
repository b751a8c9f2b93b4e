import Atomics
import Collectors
import Core
import Foundation
import Learner
import Memory
import NN
@testable import Remote
import SeededRandom
import Shared
import Testing

/// The collector process's side of remote collection without the network: collector threads
/// submitting into the batch queue while a sender task takes, loses and resends batches, and
/// the learner's weights signal waking its waiters. These also run under ThreadSanitizer.
@Suite struct BatchQueueTests {
    static let spec = TransitionSpec(observationSize: 4, action: .discrete(n: 2))

    /// Threads of collectors writing through RemoteWriters into one queue with a window of 2; a
    /// sender that acknowledges most batches and, now and then, "loses its stream" and resends:
    /// every transition arrives, each batch once in order of its sequence number.
    @Test func everyBatchArrivesOnceThroughLossesAndResends() async throws {
        let queue = BatchQueue(window: 2)
        let statistics = RunControl()
        let episodes = statistics.subscribeEpisodes()
        let version = ManagedAtomic<Int>(7)
        let threads = 3, perThread = 2_000
        let done = ManagedAtomic<Int>(0)
        for t in 0..<threads {
            let writer = UncheckedSendable(RemoteWriter(spec: Self.spec, queue: queue, statistics: statistics, episodes: episodes,
                                                        policyVersion: version, maxTransitions: 64)).value
            let handed = UncheckedSendable(writer)
            Thread {
                let writer = handed.value
                let observation: [Float] = [Float(t), 0, 0, 0]
                observation.withUnsafeBufferPointer { o in
                    for i in 0..<perThread {
                        try! writer.insert(TransitionView(observation: o, actionIndex: Int32(i % 2), reward: Float(i), terminated: false, nextObservation: o))
                        if i % 100 == 99 { try! writer.flush() }
                    }
                }
                // Whatever is left goes out once it is older than the writer's delay (2 ms): a
                // sleep of 10 ms is at least that long however loaded the machine is.
                Thread.sleep(forTimeInterval: 0.01)
                try! writer.flush()
                done.wrappingIncrement(ordering: .relaxed)
            }.start()
        }
        var received: [UInt64: Int] = [:]
        var rng = Xoshiro256(seed: 4)
        var inFlight: [TransitionBatch] = []
        func acknowledgeInFlight() {
            for b in inFlight {
                if received[b.sequence] == nil { received[b.sequence] = b.count }
                queue.acknowledge(b.sequence)
            }
            inFlight.removeAll()
        }
        while true {
            // A learner acknowledges every batch it received, some late: when nothing else is
            // queued, the held-back ones are acknowledged before waiting for more. (Waiting with
            // the last batch held back waited for ever: no other batch was coming to release it.)
            if !inFlight.isEmpty, queue.outstanding == inFlight.count { acknowledgeInFlight() }
            if received.values.reduce(0, +) >= threads * perThread { break }
            guard let batch = await queue.next() else { break }
            #expect(batch.policyVersion == 7 && batch.width == TransitionRows(spec: Self.spec).width)
            inFlight.append(batch)
            if rng.nextIndex(below: 10) == 0 {
                // The stream broke: nothing of it was acknowledged; it all goes out again.
                queue.resendUnacknowledged()
                inFlight.removeAll()
            } else if rng.nextIndex(below: 2) == 0 || inFlight.count == 2 {
                acknowledgeInFlight()
            }
        }
        #expect(received.values.reduce(0, +) == threads * perThread)
        #expect(Set(received.keys) == Set(0..<UInt64(received.count)), "sequence numbers are dense from 0")
        queue.end(.finished)
        try await waitUntil("every collector thread is done") { done.load(ordering: .relaxed) == threads }
        #expect(queue.outstanding == 0)
    }

    /// Once the queue ended, a collector's submit does not block or fail: its collectors are told to stop.
    @Test func anEndedQueueStopsTheCollectors() throws {
        let queue = BatchQueue(window: 1)
        let statistics = RunControl()
        let writer = RemoteWriter(spec: Self.spec, queue: queue, statistics: statistics, episodes: statistics.subscribeEpisodes(),
                                  policyVersion: ManagedAtomic(0), maxTransitions: 1)
        @Sendable func insert(_ writer: RemoteWriter) throws {
            let o: [Float] = [0, 0, 0, 0]
            try o.withUnsafeBufferPointer { o in try writer.insert(TransitionView(observation: o, reward: 0, terminated: false, nextObservation: o)) }
        }
        try insert(writer)   // fills the window
        let handed = UncheckedSendable(writer)
        let blocked = Thread { try! insert(handed.value) }   // waits for the window
        blocked.start()
        try waitUntilBlocking("the second insert waits for the window") { queue.waitingSubmitters == 1 }
        #expect(!statistics.stopRequested)
        queue.end(.finished)
        try waitUntilBlocking("the ended queue stops the collectors") { statistics.stopRequested }
        #expect(queue.waitingSubmitters == 0)
    }

    /// A learner thread publishing versions wakes every async waiter; none waits past a version newer than it asked for.
    @Test func theLearnerSignalWakesWaitersForNewerVersions() async throws {
        var rng = Xoshiro256(seed: 1)
        let network = MLP(sizes: [2, 3], activation: .relu, initializer: .pytorchDefault, rng: &rng)
        let publisher = WeightPublisher(initial: network)
        let signal = LearnerSignal(metrics: { [] })
        signal.attach(weights: publisher, table: try ReplayTable(spec: Self.spec, capacity: 8))
        let handed = UncheckedSendable(network)
        let learner = Thread {
            var state = TrainingState()
            for update in 1...2_000 {
                state.updates = update
                if update % 10 == 0 { publisher.publish(handed.value) }
                try! signal.endCycle(&state)
            }
        }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var seen = 0
                    while seen < 200 {
                        await signal.wait(newerThan: seen)
                        let now = publisher.version
                        #expect(now > seen)
                        seen = now
                    }
                    return seen
                }
            }
            learner.start()
            for try await last in group { #expect(last == 200) }
        }
        signal.close()
        await signal.wait(newerThan: 1_000)   // closed: returns at once
    }
}
