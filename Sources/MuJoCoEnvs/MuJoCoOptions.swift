/// A task's keyword options (`env.kwargs`, Gymnasium's `gym.make(id, **kwargs)`): numbers,
/// flags, (low, high) ranges and a model path, checked by the task that reads them.
///
///     let options = MuJoCoOptions(["ctrl_cost_weight": .number(0.05)])
///     let cheetah = try HalfCheetah(options: options)
public struct MuJoCoOptions: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case number(Double)
        case flag(Bool)
        case range(Double, Double)
        case text(String)
    }

    public var values: [String: Value]

    public init(_ values: [String: Value] = [:]) { self.values = values }

    /// The model file (`xml_file`), if given.
    public func modelFile(id: String) throws -> String? {
        guard let value = values["xml_file"] else { return nil }
        guard case .text(let path) = value else { throw MuJoCoError.invalidOption(id: id, key: "xml_file", detail: "expected a file path") }
        return path
    }

    /// Refuses keys the task does not have, naming the ones it does.
    func check(id: String, known: [String]) throws {
        for key in values.keys.sorted() where key != "xml_file" && !known.contains(key) {
            throw MuJoCoError.invalidOption(id: id, key: key, detail: "\(id) has no such option; it takes xml_file, \(known.joined(separator: ", "))")
        }
    }

    func number(_ key: String, _ fallback: Double, id: String, minimum: Double? = nil) throws -> Double {
        guard let value = values[key] else { return fallback }
        guard case .number(let number) = value, number.isFinite else {
            throw MuJoCoError.invalidOption(id: id, key: key, detail: "expected a finite number")
        }
        if let minimum, number < minimum {
            throw MuJoCoError.invalidOption(id: id, key: key, detail: "\(number) is below \(minimum)")
        }
        return number
    }

    func flag(_ key: String, _ fallback: Bool, id: String) throws -> Bool {
        guard let value = values[key] else { return fallback }
        guard case .flag(let flag) = value else { throw MuJoCoError.invalidOption(id: id, key: key, detail: "expected true or false") }
        return flag
    }

    func range(_ key: String, _ fallback: (Double, Double), id: String) throws -> (Double, Double) {
        guard let value = values[key] else { return fallback }
        guard case let .range(low, high) = value, !low.isNaN, !high.isNaN, low <= high else {
            throw MuJoCoError.invalidOption(id: id, key: key, detail: "expected [low, high] with low <= high")
        }
        return (low, high)
    }
}
