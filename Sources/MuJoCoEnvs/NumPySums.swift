/// Sums in NumPy's order. `np.sum` adds a contiguous array by pairwise summation: fewer than 8
/// terms in sequence, up to 128 with eight interleaved partial sums combined as a tree, longer
/// ones split in halves (multiples of 8). Gymnasium's costs are such sums, so a port that adds
/// in any other order differs in the last bits.
enum NumPySums {
    /// `np.sum(np.square(values))` of a float32 array, in float32 (NumPy 2 keeps float32).
    static func sumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Float {
        pairwise(values.count) { values[$0] * values[$0] }
    }

    /// `np.sum(np.square(values))` of a float64 array.
    static func sumOfSquares(_ values: UnsafeBufferPointer<Double>) -> Double {
        pairwise(values.count) { values[$0] * values[$0] }
    }

    /// NumPy's `pairwise_sum` of `term(0..<count)`, added to the reduction's initial 0.
    static func pairwise<T: BinaryFloatingPoint>(_ count: Int, _ term: (Int) -> T) -> T {
        0 + pairwise(0, count, term)
    }

    static func pairwise<T: BinaryFloatingPoint>(_ start: Int, _ count: Int, _ term: (Int) -> T) -> T {
        if count < 8 {
            var sum: T = -0.0
            for i in start..<(start + count) { sum += term(i) }
            return sum
        } else if count <= 128 {
            var r0 = term(start), r1 = term(start + 1), r2 = term(start + 2), r3 = term(start + 3)
            var r4 = term(start + 4), r5 = term(start + 5), r6 = term(start + 6), r7 = term(start + 7)
            var i = 8
            while i < count - count % 8 {
                let b = start + i
                r0 += term(b); r1 += term(b + 1); r2 += term(b + 2); r3 += term(b + 3)
                r4 += term(b + 4); r5 += term(b + 5); r6 += term(b + 6); r7 += term(b + 7)
                i += 8
            }
            var sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < count { sum += term(start + i); i += 1 }
            return sum
        } else {
            var half = count / 2
            half -= half % 8
            return pairwise(start, half, term) + pairwise(start + half, count - half, term)
        }
    }
}
