import Collectors
import Core
import Foundation
import Learner
import Memory
import SeededRandom
import StateDictIO

/// Everything a run's checkpoint saves and restores, written and read here and nowhere else:
/// the checkpointed callbacks (the algorithm's, and the evaluator's best) and the trainer's
/// counters (`LearnerCheckpoint`), the trainer's random stream, the collectors' counters, each
/// collector's own state while the collectors are at rest (random stream, pending n-step
/// transitions, environments, agent), the replay memory with its sampler's state (priorities),
/// and the wall time so far.
final class RunState {
    let callbacks: [Callback]
    let statistics: RunControl
    let collectors: [CollectorThread]
    /// The memory's contents (nil when nothing outlives an update, as a rollout).
    let memory: MemoryCheckpoint?
    /// The trainer whose counters and random stream the checkpoint holds, attached once it
    /// exists (the checkpointer among its callbacks reads this state back).
    private(set) var trainer: Trainer?
    /// Whether the collectors are not running (always in deterministic mode; after their join
    /// in a threaded run): only then is their own state theirs to read.
    var collectorsAtRest: Bool
    /// Wall-clock seconds of earlier sessions of a resumed run.
    private var previousSeconds = 0.0
    private let started = ContinuousClock.now

    init(callbacks: [Callback], statistics: RunControl, collectors: [CollectorThread], memory: MemoryCheckpoint?, collectorsAtRest: Bool) {
        self.callbacks = callbacks
        self.statistics = statistics
        self.collectors = collectors
        self.memory = memory
        self.collectorsAtRest = collectorsAtRest
    }

    func attach(_ trainer: Trainer) { self.trainer = trainer }

    /// Seconds of training and evaluation over every session of the run.
    func elapsed() -> Double { previousSeconds + (ContinuousClock.now - started) / .seconds(1) }

    /// A checkpoint's tensors at training state `state` (the trainer's own state is passed in:
    /// the checkpointer runs inside the trainer's step, which holds it).
    func stateDict(_ state: TrainingState, includeMemory: Bool) -> StateDict {
        var dict = LearnerCheckpoint.stateDict(callbacks: callbacks, state: state)
        if let trainer { dict["extra.trainer.rng"] = Tensor(uint64s: trainer.rng.stateWords) }
        dict["extra.statistics.environment_steps"] = Tensor(scalar: Int64(statistics.environmentSteps))
        dict["extra.statistics.episodes"] = Tensor(scalar: Int64(statistics.episodes))
        dict["extra.run.seconds"] = Tensor(scalar: elapsed())
        if collectorsAtRest {
            for (i, collector) in collectors.enumerated() { dict.merge(collector.stateDict(), prefix: "extra.collectors.\(i)") }
        }
        if includeMemory, let memory { dict.merge(memory.stateDict(), prefix: "extra") }
        return dict
    }

    /// Restores a checkpoint of this run; collectors whose state the checkpoint lacks (it was
    /// taken while they ran) start new episodes seeded from `resumeSeed(collector index)`.
    func restore(_ dict: StateDict, into trainer: Trainer, resumeSeed: (_ collector: Int) -> UInt64) throws {
        try LearnerCheckpoint.restore(dict, callbacks: callbacks, state: &trainer.state)
        let extra = dict.scoped("extra")
        let words = try extra.tensor("trainer.rng").uint64s(name: "extra.trainer.rng")
        guard let rng = Xoshiro256(stateWords: words) else {
            throw StateDictError.wrongShape(name: "extra.trainer.rng", expected: [4], found: [words.count])
        }
        trainer.rng = rng
        statistics.setEnvironmentSteps(Int(try extra.integer("statistics.environment_steps")))
        statistics.setEpisodes(Int(try extra.integer("statistics.episodes")))
        previousSeconds = try extra.scalar("run.seconds")
        for (i, collector) in collectors.enumerated() {
            let state = extra.scoped("collectors.\(i)")
            if state.tensors.isEmpty {
                collector.startNewEpisodes(seed: resumeSeed(i))
            } else {
                try collector.loadStateDict(state, resumeSeed: resumeSeed(i))
            }
        }
        try memory?.load(extra)
    }
}
