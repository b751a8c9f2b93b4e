import SeededRandom
import StateDictIO

extension ColoredNoise {
    /// The streams' state (chunks, positions, generators) as a state dict, for an agent's checkpoint.
    public func stateDict() -> StateDict {
        let state = self.state
        var dict = StateDict()
        dict["noise.chunks"] = Tensor(floats: state.chunks)
        dict["noise.positions"] = Tensor(int64s: state.positions.map(Int64.init))
        dict["noise.generators"] = Tensor(uint64s: state.generatorWords)
        return dict
    }

    /// Restores `stateDict()`; an error names what does not fit.
    public func load(_ dict: StateDict) throws {
        let state = ColoredNoise.State(chunks: try dict.tensor("noise.chunks").floats(name: "noise.chunks"),
                                       positions: try dict.tensor("noise.positions").int64s(name: "noise.positions").map { Int($0) },
                                       generatorWords: try dict.tensor("noise.generators").uint64s(name: "noise.generators"))
        guard restore(state) else {
            throw StateDictError.corrupt(file: "agent state", detail: "exploration noise state does not fit \(streams) streams of \(length) samples")
        }
    }
}
