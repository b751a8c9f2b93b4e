import Foundation
import Learner
import Memory
import NN
import SeededRandom
import StateDictIO
import Testing

func makeDQN(seed: UInt64) -> (DQNLoss, MLP, MLP) {
    var rng = Xoshiro256(seed: seed)
    let online = MLP(sizes: [2, 16, 2], activation: .relu, rng: &rng)
    let target = MLP(copying: online)
    return (DQNLoss(online: online, target: target, optimizer: Adam(for: online, learningRate: 1e-2), batchSize: 16), online, target)
}

@Suite struct CheckpointTests {
    func trainedRun(_ directory: URL) throws -> (DQNLoss, Checkpointer) {
        let table = try twoStateTable()
        let (loss, online, target) = makeDQN(seed: 1)
        let checkpointer = Checkpointer(directory: directory, every: 20, keep: 2, callbacks: [loss])
        let trainer = Trainer(table: table, callbacks: [loss, TargetNetworkUpdate(online: online, target: target, every: 10), checkpointer],
                              batchSize: 16, minSize: 16, seed: 3)
        try trainer.train(budget: TrainingBudget(updates: 50), statistics: .init())
        return (loss, checkpointer)
    }

    func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
    }

    @Test func keepsTheNewestAndWritesAFinalCheckpoint() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try trainedRun(dir)
        #expect(CheckpointLoader.checkpoints(in: dir).map(\.lastPathComponent)
                == ["checkpoint_000000040.safetensors.gz", "checkpoint_000000050.safetensors.gz"])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.count == 2, "no temporary files left: \(names)")
    }

    @Test func restoringGivesBackNetworksOptimizerAndCounters() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (trained, _) = try trainedRun(dir)
        let (fresh, online, _) = makeDQN(seed: 99)
        var state = TrainingState()
        let (url, dict) = try CheckpointLoader.loadNewest(in: dir, fallback: false)
        #expect(url.lastPathComponent.hasSuffix("050.safetensors.gz"))
        try LearnerCheckpoint.restore(dict, callbacks: [fresh], state: &state)
        #expect(state.updates == 50)
        #expect(Array(online.parameters) == Array(trained.online.parameters))
        #expect(Array(fresh.target.parameters) == Array(trained.target.parameters))
        #expect(fresh.optimizer.step == trained.optimizer.step)
        #expect(Array(fresh.optimizer.secondMoment) == Array(trained.optimizer.secondMoment))
    }

    @Test func aDamagedNewestCheckpointIsNamedAndFallbackUsesTheNewestIntactOne() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try trainedRun(dir)
        let newest = CheckpointLoader.checkpoints(in: dir).last!
        let bytes = try Data(contentsOf: newest)
        try bytes.prefix(bytes.count / 2).write(to: newest)   // a crash-truncated file
        #expect {
            _ = try CheckpointLoader.loadNewest(in: dir, fallback: false)
        } throws: { "\($0)".contains(newest.path) }
        let (url, dict) = try CheckpointLoader.loadNewest(in: dir, fallback: true)
        #expect(url.lastPathComponent == "checkpoint_000000040.safetensors.gz")
        #expect(try dict.integer("trainer.updates") == 40)
        #expect(throws: CheckpointLoader.LoadError.self) { _ = try CheckpointLoader.loadNewest(in: directory(), fallback: true) }
    }
}
