import Atomics

/// Keeps the replay ratio (transitions sampled per transition inserted) near a target, in the
/// spirit of Reverb's `SampleToInsertRatio`: the learner waits when it is too far ahead of the
/// collectors, and collectors wait when they are too far ahead of the learner.
///
/// With I inserts and S sampled transitions, the limiter keeps `I * samplesPerInsert - S` inside
/// `[offset - errorBuffer, offset + errorBuffer]`, where `offset = minSizeToSample * samplesPerInsert`.
/// Inserts are free until `minSizeToSample` transitions are in; sampling starts after that.
///
/// - `samplesPerInsert`: the average number of times each transition is sampled, e.g. 256 for
///   one batch of 256 per env step, 32 for one batch of 256 per 8 env steps.
/// - `errorBuffer`: how far (in sampled transitions) the two sides may drift apart; it must be
///   at least `(samplesPerInsert + batchSize) / 2` or neither side could make progress, and
///   larger values let collectors and learner run in bursts without waiting.
///
/// Counters are atomics: several producers may pass the check at once, so the insert bound can
/// be exceeded by the number of producers minus one — well inside any useful tolerance.
public struct RateLimit: Sendable, Hashable {
    public var samplesPerInsert: Double
    public var minSizeToSample: Int
    public var errorBuffer: Double

    public init(samplesPerInsert: Double, minSizeToSample: Int, errorBuffer: Double) throws {
        guard samplesPerInsert > 0, samplesPerInsert.isFinite else {
            throw ReplayError.invalidConfiguration("samplesPerInsert is \(samplesPerInsert); it must be positive and finite")
        }
        guard minSizeToSample >= 1 else {
            throw ReplayError.invalidConfiguration("minSizeToSample is \(minSizeToSample); it must be at least 1")
        }
        guard errorBuffer >= 0, errorBuffer.isFinite else {
            throw ReplayError.invalidConfiguration("errorBuffer is \(errorBuffer); it must be non-negative and finite")
        }
        self.samplesPerInsert = samplesPerInsert
        self.minSizeToSample = minSizeToSample
        self.errorBuffer = errorBuffer
    }

    var minDiff: Double { Double(minSizeToSample) * samplesPerInsert - errorBuffer }
    var maxDiff: Double { Double(minSizeToSample) * samplesPerInsert + errorBuffer }
}

/// The counters a `RateLimit` is enforced on (owned by one `ReplayTable`).
final class RateLimiter: Sendable {
    let limit: RateLimit
    let inserts = ManagedAtomic<UInt64>(0)
    let samples = ManagedAtomic<UInt64>(0)
    /// Sample requests that had to wait for inserts (the learner was ahead), and inserts that
    /// had to wait for samples (the collectors were ahead).
    let sampleWaits = ManagedAtomic<UInt64>(0)
    let insertWaits = ManagedAtomic<UInt64>(0)

    init(limit: RateLimit) { self.limit = limit }

    func canInsert() -> Bool {
        let i = inserts.load(ordering: .sequentiallyConsistent)
        if i < UInt64(limit.minSizeToSample) { return true }
        let s = samples.load(ordering: .sequentiallyConsistent)
        return Double(i + 1) * limit.samplesPerInsert - Double(s) <= limit.maxDiff
    }

    func canSample(_ k: Int) -> Bool {
        let i = inserts.load(ordering: .sequentiallyConsistent)
        guard i >= UInt64(limit.minSizeToSample) else { return false }
        let s = samples.load(ordering: .sequentiallyConsistent)
        return Double(i) * limit.samplesPerInsert - Double(s + UInt64(k)) >= limit.minDiff
    }

    /// Throws if a batch of `k` could never be sampled (the tolerance is too small for it).
    func checkBatch(_ k: Int) throws {
        guard 2 * limit.errorBuffer >= limit.samplesPerInsert + Double(k) else {
            throw ReplayError.invalidConfiguration(
                "rate limiter errorBuffer \(limit.errorBuffer) is too small for batches of \(k) at \(limit.samplesPerInsert) samples per insert; "
                + "it must be at least \((limit.samplesPerInsert + Double(k)) / 2)")
        }
    }
}
