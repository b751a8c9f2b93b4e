/// The element type of a space, as Gymnasium names it.
public enum DType: String, Sendable, Codable {
    case float32, float64, int64
}

/// A box of real vectors: every component lies in `[low[i], high[i]]` (bounds may be infinite).
///
///     let box = Box(low: [-2], high: [2])             // shape [1], float32
///     box.contains([0.5]) == true
///
/// Observations are always float32 boxes in this project; continuous actions are float32 boxes.
public struct Box: Sendable, Hashable, CustomStringConvertible {
    public var low: [Float]
    public var high: [Float]
    public var shape: [Int]
    public var dtype: DType

    /// Maps actions in [−1, 1] (a policy's tanh range), `rows` of `size` each, onto the box:
    /// low + (a + 1)/2 · (high − low) per dimension; unbounded dimensions pass through.
    public func scaleFromUnit(_ unit: UnsafeBufferPointer<Float>, into scaled: UnsafeMutableBufferPointer<Float>, rows: Int) {
        let width = size
        for i in 0..<rows {
            for j in 0..<width {
                let lo = low[j], hi = high[j], v = unit[i * width + j]
                scaled[i * width + j] = lo.isFinite && hi.isFinite ? lo + (v + 1) * 0.5 * (hi - lo) : v
            }
        }
    }

    /// A box with the given bounds; `shape` defaults to `[low.count]`.
    public init(low: [Float], high: [Float], shape: [Int]? = nil, dtype: DType = .float32) {
        precondition(low.count == high.count, "Box bounds need the same length")
        self.low = low
        self.high = high
        self.shape = shape ?? [low.count]
        self.dtype = dtype
        precondition(self.shape.reduce(1, *) == low.count, "Box shape \(self.shape) does not match \(low.count) bounds")
    }

    /// A box with the same bounds in every component.
    public init(low: Float, high: Float, shape: [Int], dtype: DType = .float32) {
        let count = shape.reduce(1, *)
        self.init(low: Array(repeating: low, count: count), high: Array(repeating: high, count: count),
                  shape: shape, dtype: dtype)
    }

    /// Number of scalar components (the product of `shape`).
    public var size: Int { low.count }

    /// True when every component is finite and within the bounds.
    public func contains(_ values: some Collection<Float>) -> Bool {
        guard values.count == size else { return false }
        for (i, v) in values.enumerated() where !(v >= low[i] && v <= high[i]) { return false }
        return true
    }

    public var description: String {
        func fmt(_ xs: [Float]) -> String {
            "[" + xs.map { $0.isInfinite ? ($0 > 0 ? "inf" : "-inf") : "\($0)" }.joined(separator: ", ") + "]"
        }
        return "Box(low: \(fmt(low)), high: \(fmt(high)), shape: \(shape), \(dtype.rawValue))"
    }
}

/// A finite set of actions `start ..< start + n`, as Gymnasium's `Discrete(n, start)`.
public struct Discrete: Sendable, Hashable, CustomStringConvertible {
    public var n: Int
    public var start: Int
    public init(_ n: Int, start: Int = 0) {
        precondition(n > 0, "Discrete needs at least one element")
        self.n = n
        self.start = start
    }
    public func contains(_ value: Int) -> Bool { value >= start && value < start + n }
    public var description: String { start == 0 ? "Discrete(\(n))" : "Discrete(\(n), start: \(start))" }
}

/// An action space: discrete choices or a continuous box.
public enum Space: Sendable, Hashable, CustomStringConvertible {
    case discrete(Discrete)
    case box(Box)

    /// Number of floats one action occupies in a flat batch buffer (1 for a discrete index).
    public var flatSize: Int {
        switch self {
        case .discrete: return 1
        case .box(let box): return box.size
        }
    }

    public var isDiscrete: Bool {
        if case .discrete = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .discrete(let d): return d.description
        case .box(let b): return b.description
        }
    }
}

extension Space {
    /// The most components an observation or a continuous action, or choices a discrete
    /// action, may have: beyond it the networks and the replay memory for it could not be
    /// allocated on one machine (an announced `n` of 10^15 once made DQN abort in malloc).
    public static let maximumSize = 65_536

    /// Why `observation` and `action` cannot be trained on, naming the space and the value; nil
    /// when they can (sizes within `maximumSize`, bounds not NaN and low ≤ high).
    public static func problem(observation: Box, action: Space) -> String? {
        if let problem = observation.problem(as: "observation") { return problem }
        switch action {
        case .discrete(let d):
            if d.n > maximumSize { return "action space Discrete(\(d.n)) has more than \(maximumSize) choices: a network output that large cannot be allocated" }
            return nil
        case .box(let box):
            return box.problem(as: "action")
        }
    }
}

extension Box {
    /// Why this box cannot be an observation or action space (`what` names which); nil when it can.
    public func problem(as what: String) -> String? {
        if size == 0 { return "\(what) space is empty" }
        if size > Space.maximumSize { return "\(what) space has \(size) components, more than \(Space.maximumSize): networks and memory for it cannot be allocated" }
        for i in 0..<size {
            if low[i].isNaN || high[i].isNaN { return "\(what) bound \(i) is NaN" }
            if low[i] > high[i] { return "\(what) bound \(i) has low \(low[i]) above high \(high[i])" }
        }
        return nil
    }
}
