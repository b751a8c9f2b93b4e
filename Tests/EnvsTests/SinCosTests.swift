import CSupport
import Foundation
import SeededRandom
import Testing

/// CartPole uses glibc's `sincos` for speed; bit-exactness with Gymnasium needs it to agree
/// with `sin` and `cos` exactly, over CartPole's range and far beyond it.
@Test func sincosIsBitIdenticalToSinAndCos() {
    var rng = Xoshiro256(seed: 2024)
    for scale in [1e-9, 0.25, 1.0, 4.0, 100.0, 1e6] {
        for _ in 0..<200_000 {
            let x = (2 * rng.nextUnitDouble() - 1) * scale
            var s = 0.0, c = 0.0
            rl_sincos(x, &s, &c)
            if s.bitPattern != sin(x).bitPattern || c.bitPattern != cos(x).bitPattern {
                Issue.record("sincos(\(x)) = (\(s), \(c)); sin, cos = (\(sin(x)), \(cos(x)))")
                return
            }
        }
    }
}
