import Memory

/// The temporal-difference target every value loss here regresses to (DQN, SAC, TD3), row by
/// row: y = r + d·(1 − terminated)·v, where d is the row's `discount` column (γᵏ of an n-step
/// transition) when the batch has one, else γ, and v is the algorithm's bootstrap value of the
/// next state (max or chosen Q′, the twin critics' minimum, minus α log π for SAC). A truncated
/// episode bootstraps: only termination zeroes v.
enum TDTarget {
    /// Writes y for rows 0..<n of `batch` into `targets`; `bootstrap(b)` is row b's v.
    @inline(__always)
    static func write(_ batch: ReplayBatch, gamma: Float, rows n: Int, into targets: UnsafeMutableBufferPointer<Float>,
                      bootstrap: (_ row: Int) -> Float) {
        let discountOffset = batch.spec.extraOffset("discount"), width = batch.spec.extrasWidth
        let rewards = batch.rewards, terminated = batch.terminated, extras = batch.extras
        for b in 0..<n {
            let discount = discountOffset.map { extras[b * width + $0] } ?? gamma
            targets[b] = rewards[b] + discount * (1 - terminated[b]) * bootstrap(b)
        }
    }
}
