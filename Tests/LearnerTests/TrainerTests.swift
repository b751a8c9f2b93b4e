import Collectors
import Core
import Envs
import Experiments
import Foundation
import Learner
import Memory
import NN
import SeededRandom
import Testing

/// Records every hook it sees, in order.
final class RecordingCallback: Callback {
    let name: String
    let phase: CallbackPhase
    let cycle: Int?
    var log: [String] = []
    var failOnBackward = false
    struct Failure: Error {}

    init(name: String, phase: CallbackPhase = .loss, cycle: Int? = nil) {
        self.name = name
        self.phase = phase
        self.cycle = cycle
    }
    func restoreState(_ state: inout TrainingState) throws { log.append("restore") }
    func beginTraining(_ state: inout TrainingState) throws { log.append("begin") }
    func beginCycle(_ state: inout TrainingState) throws { log.append("beginCycle@\(state.updates)") }
    func beginBatch(_ batch: ReplayBatch, state: inout TrainingState) throws { log.append("beginBatch") }
    func backward(_ batch: ReplayBatch, state: inout TrainingState) throws {
        if failOnBackward { throw Failure() }
        log.append("backward")
    }
    func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws { log.append("endBatch") }
    func endCycle(_ state: inout TrainingState) throws { log.append("endCycle@\(state.updates)") }
    func endTraining(_ state: inout TrainingState) throws { log.append("end") }
}

@Suite struct TrainerTests {
    @Test func hooksRunInLifecycleOrderWithCycles() throws {
        let table = try twoStateTable()
        let callback = RecordingCallback(name: "a", cycle: 2)
        let trainer = Trainer(table: table, callbacks: [callback], batchSize: 8, minSize: 8, seed: 1)
        try trainer.train(budget: TrainingBudget(updates: 3), statistics: RunControl())
        #expect(callback.log == [
            "restore", "begin",
            "beginCycle@0", "beginBatch", "backward", "endBatch",
            "beginBatch", "backward", "endBatch", "endCycle@2",
            "beginCycle@2", "beginBatch", "backward", "endBatch",
            "end",
        ])
    }

    @Test func callbacksRunByPhaseThenAsGivenAndEndTrainingRunsAfterAnError() throws {
        let table = try twoStateTable()
        let late = RecordingCallback(name: "late", phase: .targets), early = RecordingCallback(name: "early", phase: .prepare)
        let secondLoss = RecordingCallback(name: "second loss"), firstLoss = RecordingCallback(name: "first loss")
        let persist = RecordingCallback(name: "persist", phase: .persist)
        late.failOnBackward = true
        let trainer = Trainer(table: table, callbacks: [persist, late, firstLoss, early, secondLoss], batchSize: 8, minSize: 8, seed: 1)
        #expect(trainer.callbacks.map(\.name) == ["early", "first loss", "second loss", "late", "persist"])
        #expect(throws: RecordingCallback.Failure.self) {
            try trainer.train(budget: TrainingBudget(updates: 10), statistics: RunControl())
        }
        #expect([early, late, firstLoss, secondLoss, persist].allSatisfy { $0.log.last == "end" })
    }

    @Test func weightPublisherHandsOutNewerSnapshotsOnly() {
        var rng = Xoshiro256(seed: 1)
        let net = MLP(sizes: [2, 3, 1], activation: .relu, rng: &rng)
        let publisher = WeightPublisher(initial: net)
        let first = publisher.latest(newerThan: -1)
        #expect(first?.version == 0 && first?.parameters == Array(net.parameters))
        #expect(publisher.latest(newerThan: 0) == nil)
        net.parameters[0] += 1
        publisher.publish(net)
        #expect(publisher.latest(newerThan: 0)?.parameters[0] == net.parameters[0])
    }
}

