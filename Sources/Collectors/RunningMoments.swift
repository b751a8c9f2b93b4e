import StateDictIO

/// Count, mean and sum of squared deviations of a stream of vectors (Welford), mergeable
/// (Chan et al.): the running statistics behind observation and reward normalisation.
/// A class with its own storage, so collectors can each update their own instance while the
/// instances sit in one shared array.
public final class RunningMoments {
    public let size: Int
    public private(set) var count: Double = 0
    public private(set) var mean: [Double]
    /// Σ (x − mean)², per component.
    public private(set) var squaredDeviations: [Double]

    public init(size: Int) {
        self.size = size
        mean = Array(repeating: 0, count: size)
        squaredDeviations = Array(repeating: 0, count: size)
    }

    /// The population variance per component (1 before anything was added).
    public func variance(_ j: Int) -> Double { count > 0 ? squaredDeviations[j] / count : 1 }

    /// Adds one vector.
    public func add(_ x: UnsafePointer<Float>) {
        count += 1
        for j in 0..<size {
            let value = Double(x[j])
            let delta = value - mean[j]
            mean[j] += delta / count
            squaredDeviations[j] += delta * (value - mean[j])
        }
    }

    /// Adds one scalar (for size-1 moments).
    public func add(_ x: Double) {
        count += 1
        let delta = x - mean[0]
        mean[0] += delta / count
        squaredDeviations[0] += delta * (x - mean[0])
    }

    /// Folds `other` into these moments (as if its vectors had been added here), then clears it.
    public func absorb(_ other: RunningMoments) {
        precondition(other.size == size, "moments of different sizes")
        guard other.count > 0 else { return }
        let total = count + other.count
        for j in 0..<size {
            let delta = other.mean[j] - mean[j]
            mean[j] += delta * other.count / total
            squaredDeviations[j] += other.squaredDeviations[j] + delta * delta * count * other.count / total
        }
        count = total
        other.clear()
    }

    public func clear() {
        count = 0
        for j in 0..<size { mean[j] = 0; squaredDeviations[j] = 0 }
    }

    public func stateDict() -> StateDict {
        var dict = StateDict()
        dict["count"] = Tensor(scalar: count)
        dict["mean"] = Tensor(doubles: mean)
        dict["squared_deviations"] = Tensor(doubles: squaredDeviations)
        return dict
    }

    public func loadStateDict(_ dict: StateDict, name: String) throws {
        let loadedMean = try dict.tensor("mean").doubles(name: "\(name).mean")
        let loadedDeviations = try dict.tensor("squared_deviations").doubles(name: "\(name).squared_deviations")
        guard loadedMean.count == size, loadedDeviations.count == size else {
            throw StateDictError.wrongShape(name: "\(name).mean", expected: [size], found: [loadedMean.count])
        }
        let loadedCount = try dict.scalar("count")
        guard loadedCount >= 0, loadedCount.isFinite, loadedDeviations.allSatisfy({ $0 >= 0 && $0.isFinite }),
              loadedMean.allSatisfy(\.isFinite) else {
            throw StateDictError.corrupt(file: name, detail: "running moments with a negative or non-finite count, mean or deviation")
        }
        count = loadedCount
        mean = loadedMean
        squaredDeviations = loadedDeviations
    }
}
