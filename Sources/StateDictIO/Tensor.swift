/// The element types a state dict can hold, named as safetensors names them.
public enum TensorDType: String, Sendable, CaseIterable, Codable {
    case float32 = "F32"
    case float64 = "F64"
    case int64 = "I64"
    case int32 = "I32"
    case uint64 = "U64"
    case uint8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64, .uint64: return 8
        case .float32, .int32: return 4
        case .uint8, .bool: return 1
        }
    }
}

/// One named array of a state dict: a dtype, a shape and the elements' little-endian bytes.
///
///     let w = Tensor(floats: weights, shape: [64, 4])
///     let back: [Float] = try w.floats(name: "q.layers.0.weight")
///
/// A value type; the bytes are stored once and copied on write.
public struct Tensor: Sendable, Equatable {
    public var dtype: TensorDType
    public var shape: [Int]
    /// Raw little-endian element bytes, `shape.product * dtype.size` of them.
    public var bytes: [UInt8]

    /// A tensor from raw bytes; the byte count must match the shape.
    public init(dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) * dtype.size == bytes.count,
                     "tensor bytes do not match shape \(shape) and dtype \(dtype)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    private init<T>(elements: some Collection<T>, dtype: TensorDType, shape: [Int]?) {
        let shape = shape ?? [elements.count]
        precondition(shape.reduce(1, *) == elements.count, "shape \(shape) does not hold \(elements.count) elements")
        precondition(MemoryLayout<T>.stride == dtype.size)
        var bytes = [UInt8](repeating: 0, count: elements.count * dtype.size)
        bytes.withUnsafeMutableBytes { raw in
            var i = 0
            for e in elements { raw.storeBytes(of: e, toByteOffset: i * dtype.size, as: T.self); i += 1 }
        }
        self.init(dtype: dtype, shape: shape, bytes: bytes)
    }

    // Every platform Swift runs this project on (x86-64, arm64) is little-endian, which is
    // safetensors' byte order, so elements are stored as they lie in memory.
    public init(floats: some Collection<Float>, shape: [Int]? = nil) { self.init(elements: floats, dtype: .float32, shape: shape) }
    public init(doubles: some Collection<Double>, shape: [Int]? = nil) { self.init(elements: doubles, dtype: .float64, shape: shape) }
    public init(int64s: some Collection<Int64>, shape: [Int]? = nil) { self.init(elements: int64s, dtype: .int64, shape: shape) }
    public init(int32s: some Collection<Int32>, shape: [Int]? = nil) { self.init(elements: int32s, dtype: .int32, shape: shape) }
    public init(uint64s: some Collection<UInt64>, shape: [Int]? = nil) { self.init(elements: uint64s, dtype: .uint64, shape: shape) }
    public init(uint8s: some Collection<UInt8>, shape: [Int]? = nil) { self.init(elements: uint8s, dtype: .uint8, shape: shape) }
    public init(bools: some Collection<Bool>, shape: [Int]? = nil) {
        self.init(elements: bools.map { UInt8($0 ? 1 : 0) }, dtype: .bool, shape: shape)
    }
    /// A scalar (shape `[]`).
    public init(scalar: Double) { self.init(elements: [scalar], dtype: .float64, shape: []) }
    public init(scalar: Int64) { self.init(elements: [scalar], dtype: .int64, shape: []) }

    /// The elements as `T`, after checking the dtype; `name` goes into the error.
    public func elements<T>(_ type: T.Type, expected: TensorDType, name: String) throws -> [T] {
        guard dtype == expected else { throw StateDictError.wrongDType(name: name, expected: expected, found: dtype) }
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * dtype.size, as: T.self) }
        }
    }

    public func floats(name: String) throws -> [Float] { try elements(Float.self, expected: .float32, name: name) }
    public func doubles(name: String) throws -> [Double] { try elements(Double.self, expected: .float64, name: name) }
    public func int64s(name: String) throws -> [Int64] { try elements(Int64.self, expected: .int64, name: name) }
    public func uint64s(name: String) throws -> [UInt64] { try elements(UInt64.self, expected: .uint64, name: name) }
    public func uint8s(name: String) throws -> [UInt8] { try elements(UInt8.self, expected: .uint8, name: name) }
    public func bools(name: String) throws -> [Bool] { try elements(UInt8.self, expected: .bool, name: name).map { $0 != 0 } }

    /// Copies float32 elements into a caller's buffer of exactly `count` elements (no allocation).
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>, name: String) throws {
        guard dtype == .float32 else { throw StateDictError.wrongDType(name: name, expected: .float32, found: dtype) }
        guard destination.count == count else {
            throw StateDictError.wrongShape(name: name, expected: [destination.count], found: shape)
        }
        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(destination).copyMemory(from: $0) }
    }
}
