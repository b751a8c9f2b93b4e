import SeededRandom

/// An environment that can save everything it needs to continue exactly where it was (physical
/// state, random stream, episode bookkeeping) and restore it: what makes a resumed run
/// bit-identical to an uninterrupted one. The snapshot is a list of 64-bit words (float64
/// values as their bit patterns) so it is stored losslessly in a checkpoint.
///
/// Optional: a run whose environments do not conform still resumes, but its environments start
/// new episodes (reset with fresh seeds) instead of continuing the interrupted ones.
public protocol SnapshotEnvironment: Environment {
    /// The complete dynamic state.
    func snapshot() -> [UInt64]
    /// Restores a state returned by `snapshot()`; throws `EnvironmentError.invalidState` when
    /// the words do not fit (a different environment, a damaged checkpoint).
    mutating func restore(snapshot: [UInt64]) throws
}

/// Reads a snapshot's words in order, failing with a clear error on the wrong length.
struct SnapshotReader {
    let words: [UInt64]
    let environment: String
    var next = 0

    init(_ words: [UInt64], expected: Int, environment: String) throws {
        guard words.count == expected else {
            throw EnvironmentError.invalidState(environment: environment, detail: "snapshot has \(words.count) words; expected \(expected)")
        }
        self.words = words
        self.environment = environment
    }

    mutating func word() -> UInt64 { defer { next += 1 }; return words[next] }
    mutating func double() -> Double { Double(bitPattern: word()) }
    mutating func rng() throws -> Xoshiro256 {
        let state = [word(), word(), word(), word()]
        guard let rng = Xoshiro256(stateWords: state) else {
            throw EnvironmentError.invalidState(environment: environment, detail: "random stream state is all zero")
        }
        return rng
    }
}

/// Snapshot words of a four-component float64 state and a random stream (CartPole, Acrobot).
func fourStateSnapshot(_ state: (Double, Double, Double, Double), _ rng: Xoshiro256) -> [UInt64] {
    [state.0, state.1, state.2, state.3].map(\.bitPattern) + rng.stateWords
}

/// Reads what `fourStateSnapshot` wrote.
func restoreFourState(_ words: [UInt64], environment: String) throws -> ((Double, Double, Double, Double), Xoshiro256) {
    var r = try SnapshotReader(words, expected: 8, environment: environment)
    return ((r.double(), r.double(), r.double(), r.double()), try r.rng())
}

extension CartPole: SnapshotEnvironment {
    public func snapshot() -> [UInt64] { fourStateSnapshot(state, rng) }
    public mutating func restore(snapshot: [UInt64]) throws { (state, rng) = try restoreFourState(snapshot, environment: "CartPole-v1") }
}

extension Acrobot: SnapshotEnvironment {
    public func snapshot() -> [UInt64] { fourStateSnapshot(state, rng) }
    public mutating func restore(snapshot: [UInt64]) throws { (state, rng) = try restoreFourState(snapshot, environment: "Acrobot-v1") }
}

extension Pendulum: SnapshotEnvironment {
    public func snapshot() -> [UInt64] {
        // lastTorque: a flag word, then the float's bits.
        [state.theta.bitPattern, state.thetaDot.bitPattern, lastTorque == nil ? 0 : 1, UInt64(lastTorque?.bitPattern ?? 0)]
            + rng.stateWords
    }
    public mutating func restore(snapshot: [UInt64]) throws {
        var r = try SnapshotReader(snapshot, expected: 8, environment: "Pendulum-v1")
        state = (r.double(), r.double())
        let hasTorque = r.word(), bits = r.word()
        lastTorque = hasTorque == 0 ? nil : Float(bitPattern: UInt32(truncatingIfNeeded: bits))
        rng = try r.rng()
    }
}

extension MountainCar: SnapshotEnvironment {
    public func snapshot() -> [UInt64] {
        [state.position.bitPattern, state.velocity.bitPattern] + rng.stateWords
    }
    public mutating func restore(snapshot: [UInt64]) throws {
        var r = try SnapshotReader(snapshot, expected: 6, environment: "MountainCar-v0")
        state = (r.double(), r.double())
        rng = try r.rng()
    }
}

extension MountainCarContinuous: SnapshotEnvironment {
    public func snapshot() -> [UInt64] {
        [state.position.bitPattern, state.velocity.bitPattern, stateIsFloat32 ? 1 : 0] + rng.stateWords
    }
    public mutating func restore(snapshot: [UInt64]) throws {
        var r = try SnapshotReader(snapshot, expected: 7, environment: "MountainCarContinuous-v0")
        state = (r.double(), r.double())
        stateIsFloat32 = r.word() != 0
        rng = try r.rng()
    }
}

extension TimeLimit: SnapshotEnvironment where Wrapped: SnapshotEnvironment {
    /// The wrapped environment's words, then the step count and whether it was reset.
    public func snapshot() -> [UInt64] {
        wrapped.snapshot() + [UInt64(stepsSinceReset), hasReset ? 1 : 0]
    }
    public mutating func restore(snapshot: [UInt64]) throws {
        guard snapshot.count >= 2 else {
            throw EnvironmentError.invalidState(environment: name, detail: "snapshot has \(snapshot.count) words; too short for a time limit")
        }
        try wrapped.restore(snapshot: Array(snapshot.dropLast(2)))
        stepsSinceReset = Int(snapshot[snapshot.count - 2])
        hasReset = snapshot[snapshot.count - 1] != 0
    }
}
