/// The byte layout of the collection service's messages, written by hand over gRPC's raw-bytes
/// serializer hooks rather than generated from a `.proto` file.
///
/// Why: a batch of transitions is already a block of 32-bit words (the replay table's row
/// layout minus its bookkeeping); protobuf would carry it as one `bytes` field anyway, and
/// swift-protobuf with its code generator would add minutes to every clean build on 2 cores.
/// The layout is small, versioned (`protocolVersion`, and the service name's `v1`) and
/// documented in the README ("The collection service's wire format"); every read is bounds-checked, so a peer sending
/// garbage gets an error naming the field, never a crash.
///
/// Every message starts with a 4-byte ASCII tag naming its kind; integers and floats are
/// little-endian; a string is a UInt32 byte count and UTF-8 bytes.
enum WireFormat {
    /// Bumped when a message's layout changes; a collector and a learner must agree on it.
    static let protocolVersion: UInt32 = 1
    /// Refuse strings (config text, names) longer than this.
    static let maxStringBytes = 1 << 20
}

/// A message of the collection service (see `WireFormat`).
protocol WireMessage: Sendable {
    /// The 4-byte ASCII tag that starts it.
    static var tag: UInt32 { get }
    func encode(into writer: inout ByteWriter)
    init(from reader: inout ByteReader) throws
}

extension WireMessage {
    /// The message as bytes, tag first.
    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.put(Self.tag)
        encode(into: &writer)
        return writer.bytes
    }

    /// Reads a whole message: its tag, its fields, and nothing after them.
    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(bytes, message: String(describing: Self.self))
        let tag: UInt32 = try reader.read("tag")
        guard tag == Self.tag else {
            throw WireError(message: reader.message, detail: "tag \(WireError.tagName(tag)) is not \(WireError.tagName(Self.tag))")
        }
        try self.init(from: &reader)
        guard reader.remaining == 0 else {
            throw WireError(message: reader.message, detail: "\(reader.remaining) bytes after the last field")
        }
    }
}

/// Makes a tag from four ASCII characters.
func wireTag(_ s: StaticString) -> UInt32 {
    precondition(s.utf8CodeUnitCount == 4)
    let p = s.utf8Start
    return UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
}

/// A message that could not be read, naming the message and what was wrong.
struct WireError: Error, CustomStringConvertible {
    let message: String
    let detail: String
    var description: String { "malformed \(message): \(detail)" }

    static func tagName(_ tag: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: tag >> (8 * $0)) }
        return bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F } ? "'" + String(decoding: bytes, as: UTF8.self) + "'" : "0x" + String(tag, radix: 16)
    }
}

/// Appends little-endian fields to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func put(_ value: Double) { put(value.bitPattern) }
    mutating func put(_ value: Float) { put(value.bitPattern) }
    mutating func put(_ value: String) {
        let utf8 = Array(value.utf8)
        put(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    /// Raw bytes (already in wire order), e.g. a block of little-endian words.
    mutating func put(raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
}

/// Reads little-endian fields from bytes, each read bounds-checked.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    let message: String

    init(_ bytes: UnsafeRawBufferPointer, message: String) {
        self.bytes = bytes
        self.message = message
    }

    var remaining: Int { bytes.count - offset }

    private func need(_ n: Int, _ field: String) throws {
        guard n >= 0, n <= remaining else {
            throw WireError(message: message, detail: "\(field) needs \(n) bytes, \(remaining) are left")
        }
    }

    mutating func read<T: FixedWidthInteger>(_ field: String) throws -> T {
        try need(MemoryLayout<T>.size, field)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readDouble(_ field: String) throws -> Double { Double(bitPattern: try read(field)) }

    mutating func readString(_ field: String) throws -> String {
        let count = Int(try read(field) as UInt32)
        guard count <= WireFormat.maxStringBytes else {
            throw WireError(message: message, detail: "\(field) claims \(count) bytes (at most \(WireFormat.maxStringBytes))")
        }
        try need(count, field)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
        offset += count
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw WireError(message: message, detail: "\(field) is not UTF-8")
        }
        return string
    }

    /// A count, refused above `limit` (before anything is allocated for it).
    mutating func readCount(_ field: String, limit: Int) throws -> Int {
        let count = Int(try read(field) as UInt32)
        guard count <= limit else { throw WireError(message: message, detail: "\(field) is \(count), at most \(limit)") }
        return count
    }

    /// The next `count` bytes, as a view of the message.
    mutating func readRaw(_ count: Int, _ field: String) throws -> UnsafeRawBufferPointer {
        try need(count, field)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
    }
}
