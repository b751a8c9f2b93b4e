import Envs
import StateDictIO

extension VectorEnvironment {
    /// The environments' snapshot as state-dict entries (`envs.*`), or nothing when some
    /// environment cannot snapshot: part of a collector's checkpointed state.
    func snapshotStateDict() -> StateDict {
        var dict = StateDict()
        guard let snapshot = snapshot() else { return dict }
        let width = snapshot.environments.map(\.count).max() ?? 0
        guard snapshot.environments.allSatisfy({ $0.count == width }) else { return dict }
        dict["envs.words"] = Tensor(uint64s: snapshot.environments.flatMap { $0 }, shape: [snapshot.environments.count, width])
        dict["envs.observations"] = Tensor(floats: snapshot.observations)
        dict["envs.running_returns"] = Tensor(doubles: snapshot.runningReturns)
        dict["envs.running_lengths"] = Tensor(int64s: snapshot.runningLengths.map(Int64.init))
        dict["envs.total_steps"] = Tensor(scalar: Int64(snapshot.totalSteps))
        dict["envs.has_reset"] = Tensor(scalar: Int64(snapshot.hasReset ? 1 : 0))
        return dict
    }

    /// Restores the environments from `snapshotStateDict()` entries; false when `dict` has none
    /// (the caller then starts new episodes).
    func restore(snapshotIn dict: StateDict) throws -> Bool {
        guard let words = dict["envs.words"], words.shape.count == 2 else { return false }
        let flat = try words.uint64s(name: "envs.words")
        let width = words.shape[1]
        try restore(VectorSnapshot(
            environments: (0..<words.shape[0]).map { Array(flat[$0 * width ..< ($0 + 1) * width]) },
            observations: try dict.tensor("envs.observations").floats(name: "envs.observations"),
            runningReturns: try dict.tensor("envs.running_returns").doubles(name: "envs.running_returns"),
            runningLengths: try dict.tensor("envs.running_lengths").int64s(name: "envs.running_lengths").map { Int($0) },
            totalSteps: Int(try dict.integer("envs.total_steps")), hasReset: try dict.integer("envs.has_reset") != 0))
        return true
    }
}
