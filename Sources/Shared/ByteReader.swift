/// Reads little-endian fields from a byte buffer, every read bounds-checked: the one reader of
/// the formats a peer writes (the remote collectors' wire messages, the environment bridge's
/// answers, safetensors headers). A short, absurd or malformed input becomes the caller's error
/// naming the field (`fail`), never a crash or an allocation the input does not back.
///
///     var reader = ByteReader(bytes) { detail in MyFormatError("message X: \(detail)") }
///     let count = try reader.readCount("count", limit: 1 << 20)
///     let reward = try reader.readDouble("reward")
public struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0
    private let fail: (_ detail: String) -> any Error

    public init(_ bytes: UnsafeRawBufferPointer, fail: @escaping (_ detail: String) -> any Error) {
        self.bytes = bytes
        self.fail = fail
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    /// The caller's error for `detail` (for checks of its own between reads).
    public func failure(_ detail: String) -> any Error { fail(detail) }

    private func need(_ n: Int, _ field: String) throws {
        guard n >= 0, n <= remaining else { throw fail("\(field) needs \(n) bytes, \(remaining) are left") }
    }

    public mutating func read<T: FixedWidthInteger>(_ field: String) throws -> T {
        try need(MemoryLayout<T>.size, field)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    public mutating func readDouble(_ field: String) throws -> Double { Double(bitPattern: try read(field)) }

    /// A flag byte: 0 or 1, anything else an error (a peer out of step, not a true).
    public mutating func readFlag(_ field: String) throws -> Bool {
        let byte: UInt8 = try read(field)
        guard byte <= 1 else { throw fail("\(field) is \(byte), not 0 or 1") }
        return byte == 1
    }

    /// `values.count` float32 values.
    public mutating func readFloats(_ field: String, into values: UnsafeMutableBufferPointer<Float>) throws {
        try need(4 * values.count, field)
        for j in 0..<values.count {
            values[j] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4 * j, as: UInt32.self)))
        }
        offset += 4 * values.count
    }

    /// A UInt32 byte count and that many UTF-8 bytes, refused above `maxBytes`.
    public mutating func readString(_ field: String, maxBytes: Int) throws -> String {
        let count = Int(try read(field) as UInt32)
        guard count <= maxBytes else { throw fail("\(field) claims \(count) bytes (at most \(maxBytes))") }
        let slice = try readRaw(count, field)
        guard let string = String(validating: slice, as: UTF8.self) else { throw fail("\(field) is not UTF-8") }
        return string
    }

    /// A UInt32 count, refused above `limit` (before anything is allocated for it).
    public mutating func readCount(_ field: String, limit: Int) throws -> Int {
        let count = Int(try read(field) as UInt32)
        guard count <= limit else { throw fail("\(field) is \(count), at most \(limit)") }
        return count
    }

    /// The next `count` bytes, as a view of the buffer.
    public mutating func readRaw(_ count: Int, _ field: String) throws -> UnsafeRawBufferPointer {
        try need(count, field)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
    }
}
