/// Errors of the replay memory. Messages say which column or value is wrong and what was expected.
public enum ReplayError: Error, CustomStringConvertible, Equatable {
    /// A column of an inserted transition has the wrong number of values.
    case wrongColumnWidth(column: String, expected: Int, got: Int)
    /// A discrete action index outside `0..<n`.
    case actionOutOfRange(index: Int32, n: Int)
    /// More transitions were asked for than the table holds.
    case batchLargerThanContent(requested: Int, available: Int)
    /// The batch buffers were made for a smaller batch or another spec.
    case batchBufferMismatch(detail: String)
    /// A priority that is NaN, infinite or negative.
    case invalidPriority(value: Double, position: Int)
    /// The table was closed (shutdown) while the caller waited or tried to use it.
    case closed
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// Imported contents do not fit this table.
    case incompatibleState(String)

    public var description: String {
        switch self {
        case let .wrongColumnWidth(column, expected, got):
            return "replay insert: column '\(column)' has \(got) values; the table's spec needs \(expected)"
        case let .actionOutOfRange(index, n):
            return "replay insert: action index \(index) is outside 0..<\(n)"
        case let .batchLargerThanContent(requested, available):
            return "replay sample: a batch of \(requested) was requested but the table holds only \(available) transitions"
        case .batchBufferMismatch(let detail):
            return "replay sample: \(detail)"
        case let .invalidPriority(value, position):
            return "priority update: value \(value) at position \(position) must be finite and non-negative"
        case .closed:
            return "the replay table is closed"
        case .invalidConfiguration(let detail):
            return "replay configuration: \(detail)"
        case .incompatibleState(let detail):
            return "replay import: \(detail)"
        }
    }
}
