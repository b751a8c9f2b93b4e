/// The shape of one stored transition: observation size, the action's form, and any extra
/// float columns (an n-step discount, an episode id, ...).
///
///     let spec = TransitionSpec(observationSize: 4, action: .discrete(n: 2))
///     let sac = TransitionSpec(observationSize: 17, action: .continuous(size: 6),
///                              extras: [ExtraColumn(name: "discount", width: 1)])
///
/// Every transition stores: observation, action, reward, terminated, truncated, next
/// observation, then the extras, as 32-bit words in one row.
public struct TransitionSpec: Sendable, Hashable {
    /// The action column: a discrete index (stored as Int32) or a float vector.
    public enum ActionForm: Sendable, Hashable {
        case discrete(n: Int)
        case continuous(size: Int)

        /// Words the action occupies.
        public var width: Int {
            switch self {
            case .discrete: return 1
            case .continuous(let size): return size
            }
        }
    }

    public var observationSize: Int
    public var action: ActionForm
    public var extras: [ExtraColumn]

    public init(observationSize: Int, action: ActionForm, extras: [ExtraColumn] = []) {
        precondition(observationSize > 0, "observationSize must be positive")
        if case .continuous(let size) = action { precondition(size > 0, "continuous actions need a positive size") }
        if case .discrete(let n) = action { precondition(n > 0, "discrete actions need n > 0") }
        precondition(extras.allSatisfy { $0.width > 0 }, "extra columns need a positive width")
        self.observationSize = observationSize
        self.action = action
        self.extras = extras
    }

    /// Total floats of all extra columns, in spec order.
    public var extrasWidth: Int { extras.reduce(0) { $0 + $1.width } }

    /// Offset of the extra column `name` within the extras, or nil.
    public func extraOffset(_ name: String) -> Int? {
        var offset = 0
        for column in extras {
            if column.name == name { return offset }
            offset += column.width
        }
        return nil
    }
}

/// An extra float column of a transition.
public struct ExtraColumn: Sendable, Hashable {
    public var name: String
    public var width: Int
    public init(name: String, width: Int = 1) {
        self.name = name
        self.width = width
    }
}

/// One transition to insert, as views of the caller's buffers (nothing is retained or copied
/// until the insert writes it into the table).
public struct TransitionView {
    public var observation: UnsafeBufferPointer<Float>
    /// For a discrete spec: the index. Ignored for continuous specs.
    public var actionIndex: Int32
    /// For a continuous spec: the action values. Ignored (may be empty) for discrete specs.
    public var actionValues: UnsafeBufferPointer<Float>
    public var reward: Float
    public var terminated: Bool
    public var truncated: Bool
    public var nextObservation: UnsafeBufferPointer<Float>
    /// All extra columns concatenated in spec order (`spec.extrasWidth` floats).
    public var extras: UnsafeBufferPointer<Float>

    public init(observation: UnsafeBufferPointer<Float>, actionIndex: Int32 = 0,
                actionValues: UnsafeBufferPointer<Float> = UnsafeBufferPointer(start: nil, count: 0),
                reward: Float, terminated: Bool, truncated: Bool = false,
                nextObservation: UnsafeBufferPointer<Float>,
                extras: UnsafeBufferPointer<Float> = UnsafeBufferPointer(start: nil, count: 0)) {
        self.observation = observation
        self.actionIndex = actionIndex
        self.actionValues = actionValues
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.nextObservation = nextObservation
        self.extras = extras
    }
}
