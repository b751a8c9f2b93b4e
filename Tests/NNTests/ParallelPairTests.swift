import Testing
import NN

/// `ParallelPair` runs both pieces, the second on another thread, and returns after both; many
/// runs in a row see every write (runs under ThreadSanitizer in scripts/test.sh).
@Suite struct ParallelPairTests {
    @Test func bothPiecesRunAndTheirWritesAreSeen() {
        let pair = ParallelPair()
        var first = [Int](repeating: 0, count: 1000), second = first
        for round in 1...2000 {
            first.withUnsafeMutableBufferPointer { a in second.withUnsafeMutableBufferPointer { b in
                pair.run({ for i in a.indices { a[i] += 1 } }, { for i in b.indices { b[i] += 2 } })
            } }
            #expect(first[999] == round && second[0] == 2 * round)
        }
        #expect(first.allSatisfy { $0 == 2000 } && second.allSatisfy { $0 == 4000 })
    }

    @Test func aPairThatIsReleasedStopsItsThread() {
        for _ in 0..<50 {
            var x = 0, y = 0
            let pair = ParallelPair()
            pair.run({ x = 1 }, { y = 2 })
            #expect(x == 1 && y == 2)
        }
    }
}
