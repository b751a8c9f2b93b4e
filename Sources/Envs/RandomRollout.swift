import SeededRandom

/// Runs uniformly random actions through a `VectorEnvironment` and summarises the episodes:
/// the baseline every learning curve is compared to, and the environments' demo.
///
///     var rng = Xoshiro256(seed: 1)
///     let summary = try RandomRollout.run(vector, steps: 10_000, seed: 1, rng: &rng)
public enum RandomRollout {
    /// What a random rollout saw.
    public struct Summary: Sendable {
        public var steps: Int
        public var episodes: Int
        /// Mean return of the episodes that finished (nil if none did).
        public var meanReturn: Double?
        public var meanLength: Double?
        public var seconds: Double
        public var stepsPerSecond: Double { seconds > 0 ? Double(steps) / seconds : 0 }
    }

    /// Steps the vector environment (after resetting it) for at least `steps` single-environment
    /// steps with uniform random actions drawn from `rng` over the action space.
    public static func run(_ vector: VectorEnvironment, steps: Int, seed: UInt64, rng: inout Xoshiro256) throws -> Summary {
        try vector.reset(seed: seed)
        let n = vector.count
        var discrete = [Int](repeating: 0, count: n)
        var continuous = [Float](repeating: 0, count: n * vector.actionSpace.flatSize)
        var episodes = 0
        var returnSum = 0.0
        var lengthSum = 0
        var taken = 0
        let clock = ContinuousClock()
        let start = clock.now
        while taken < steps {
            switch vector.actionSpace {
            case .discrete(let space):
                for i in 0..<n { discrete[i] = space.start + rng.nextIndex(below: space.n) }
                try discrete.withUnsafeBufferPointer { try vector.step(.discrete($0)) }
            case .box(let box):
                for i in 0..<n {
                    for j in 0..<box.size {
                        let low = box.low[j].isFinite ? box.low[j] : -1, high = box.high[j].isFinite ? box.high[j] : 1
                        continuous[i * box.size + j] = low + (high - low) * rng.nextUnitFloat()
                    }
                }
                try continuous.withUnsafeBufferPointer { try vector.step(.continuous($0)) }
            }
            taken += n
            for i in 0..<n where vector.isDone(i) {
                episodes += 1
                returnSum += vector.completedReturns[i]
                lengthSum += vector.completedLengths[i]
            }
        }
        let elapsed = clock.now - start
        let seconds = elapsed / .seconds(1)
        return Summary(steps: taken, episodes: episodes,
                       meanReturn: episodes > 0 ? returnSum / Double(episodes) : nil,
                       meanLength: episodes > 0 ? Double(lengthSum) / Double(episodes) : nil,
                       seconds: seconds)
    }
}
