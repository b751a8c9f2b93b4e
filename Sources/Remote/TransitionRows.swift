import Memory

#if _endian(big)
#error("the collection service's wire format is little-endian words written in host order")
#endif

/// Transitions as wire rows (see `TransitionBatch`): packing on the collector's side, checking
/// and unpacking on the learner's. A row is `width` 32-bit words: observation, action (an Int32
/// index or floats), reward, flags (bit 0 terminated, bit 1 truncated), next observation, extras.
struct TransitionRows {
    let spec: TransitionSpec
    let width: Int
    private let actionWidth: Int
    private let discreteActions: Int?
    private let rewardWord: Int
    private let flagsWord: Int
    private let nextWord: Int
    private let extrasWord: Int
    /// One unpacked row (words) for the transition views the table takes.
    private var scratch: [Float]

    init(spec: TransitionSpec) {
        self.spec = spec
        let o = spec.observationSize
        actionWidth = spec.action.width
        if case .discrete(let n) = spec.action { discreteActions = n } else { discreteActions = nil }
        rewardWord = o + actionWidth
        flagsWord = rewardWord + 1
        nextWord = flagsWord + 1
        extrasWord = nextWord + o
        width = extrasWord + spec.extrasWidth
        scratch = Array(repeating: 0, count: width)
    }

    /// Appends `t` as one row to `bytes`.
    func append(_ t: TransitionView, to bytes: inout [UInt8]) {
        func put(_ word: UInt32) { withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) } }
        for x in t.observation { put(x.bitPattern) }
        if discreteActions != nil { put(UInt32(bitPattern: t.actionIndex)) } else { for x in t.actionValues { put(x.bitPattern) } }
        put(t.reward.bitPattern)
        put((t.terminated ? 1 : 0) | (t.truncated ? 2 : 0))
        for x in t.nextObservation { put(x.bitPattern) }
        for x in t.extras { put(x.bitPattern) }
    }

    /// Checks every row of a batch before any is inserted: finite floats, known flags, actions in
    /// range. The error names the row and the column.
    func check(_ rows: UnsafeRawBufferPointer, count: Int) throws(RowError) {
        let o = spec.observationSize
        for r in 0..<count {
            let base = r * width
            func word(_ i: Int) -> UInt32 { rows.loadUnaligned(fromByteOffset: (base + i) * 4, as: UInt32.self) }
            func finite(_ range: Range<Int>, _ column: String) throws(RowError) {
                for i in range where !Float(bitPattern: word(i)).isFinite {
                    throw RowError(row: r, detail: "\(column)[\(i - range.lowerBound)] is \(Float(bitPattern: word(i)))")
                }
            }
            try finite(0..<o, "observation")
            if let n = discreteActions {
                let index = Int32(bitPattern: word(o))
                guard index >= 0, Int(index) < n else { throw RowError(row: r, detail: "action \(index) is outside 0..<\(n)") }
            } else {
                try finite(o ..< o + actionWidth, "action")
            }
            try finite(rewardWord ..< rewardWord + 1, "reward")
            guard word(flagsWord) <= 3 else { throw RowError(row: r, detail: "flags are \(word(flagsWord)); only bits 0 (terminated) and 1 (truncated) exist") }
            try finite(nextWord ..< nextWord + o, "next_observation")
            try finite(extrasWord ..< width, "extras")
        }
    }

    /// Calls `body` with row `r` of checked rows as a transition (a view of this value's scratch row).
    mutating func withTransition<R>(_ rows: UnsafeRawBufferPointer, row r: Int, _ body: (TransitionView) throws -> R) rethrows -> R {
        let o = spec.observationSize
        return try scratch.withUnsafeMutableBufferPointer { words in
            let raw = UnsafeMutableRawBufferPointer(words)
            raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: rows[r * width * 4 ..< (r + 1) * width * 4]))
            let flags = words[flagsWord].bitPattern
            let view = TransitionView(
                observation: UnsafeBufferPointer(rebasing: words[0..<o]),
                actionIndex: discreteActions != nil ? Int32(bitPattern: words[o].bitPattern) : 0,
                actionValues: discreteActions != nil ? UnsafeBufferPointer(start: nil, count: 0) : UnsafeBufferPointer(rebasing: words[o ..< o + actionWidth]),
                reward: words[rewardWord], terminated: flags & 1 != 0, truncated: flags & 2 != 0,
                nextObservation: UnsafeBufferPointer(rebasing: words[nextWord ..< nextWord + o]),
                extras: UnsafeBufferPointer(rebasing: words[extrasWord ..< width]))
            return try body(view)
        }
    }
}

/// A row of a batch that cannot go into the memory.
struct RowError: Error, CustomStringConvertible {
    let row: Int
    let detail: String
    var description: String { "row \(row): \(detail)" }
}
