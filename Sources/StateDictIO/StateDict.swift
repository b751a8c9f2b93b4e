/// Named tensors plus string metadata: what a network, an optimizer, a replay table or a whole
/// checkpoint saves. PyTorch-style dotted names (`q.layers.0.weight`) group entries by owner.
///
///     var dict = StateDict()
///     dict["q.layers.0.weight"] = Tensor(floats: w, shape: [64, 4])
///     dict.metadata["format"] = "swiftrl-checkpoint/1"
///     try dict.write(to: url)                     // safetensors inside gzip, written atomically
///     let back = try StateDict.read(from: url)    // verified; a damaged file throws, naming it
public struct StateDict: Sendable, Equatable {
    public var tensors: [String: Tensor]
    /// String metadata (safetensors' `__metadata__`).
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    /// The tensor named `name`, or a `missingTensor` error naming it.
    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else { throw StateDictError.missingTensor(name: name) }
        return tensor
    }

    /// The entries under `prefix.`, with the prefix removed (a sub-dict for one owner).
    public func scoped(_ prefix: String) -> StateDict {
        let head = prefix + "."
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in self.tensors where name.hasPrefix(head) { tensors[String(name.dropFirst(head.count))] = tensor }
        var metadata: [String: String] = [:]
        for (name, value) in self.metadata where name.hasPrefix(head) { metadata[String(name.dropFirst(head.count))] = value }
        return StateDict(tensors: tensors, metadata: metadata)
    }

    /// Adds every entry of `other` under `prefix.`.
    public mutating func merge(_ other: StateDict, prefix: String) {
        for (name, tensor) in other.tensors { tensors["\(prefix).\(name)"] = tensor }
        for (name, value) in other.metadata { metadata["\(prefix).\(name)"] = value }
    }

    /// A float64 scalar stored with `Tensor(scalar:)`.
    public func scalar(_ name: String) throws -> Double {
        let values = try tensor(name).doubles(name: name)
        guard values.count == 1 else { throw StateDictError.wrongShape(name: name, expected: [], found: try tensor(name).shape) }
        return values[0]
    }

    /// An int64 scalar stored with `Tensor(scalar:)`.
    public func integer(_ name: String) throws -> Int64 {
        let values = try tensor(name).int64s(name: name)
        guard values.count == 1 else { throw StateDictError.wrongShape(name: name, expected: [], found: try tensor(name).shape) }
        return values[0]
    }
}

/// What can go wrong reading or using a state dict. Messages name the file or tensor at fault.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    case missingTensor(name: String)
    case wrongDType(name: String, expected: TensorDType, found: TensorDType)
    case wrongShape(name: String, expected: [Int], found: [Int])
    /// The file is not a valid (compressed) safetensors file; `detail` says what is wrong.
    case corrupt(file: String, detail: String)
    /// Reading or writing the file failed at the operating-system level.
    case io(file: String, detail: String)

    public var description: String {
        switch self {
        case .missingTensor(let name): return "state dict has no entry '\(name)'"
        case let .wrongDType(name, expected, found): return "'\(name)' holds \(found.rawValue); expected \(expected.rawValue)"
        case let .wrongShape(name, expected, found): return "'\(name)' has shape \(found); expected \(expected)"
        case let .corrupt(file, detail): return "\(file): damaged or not a state-dict file: \(detail)"
        case let .io(file, detail): return "\(file): \(detail)"
        }
    }
}
