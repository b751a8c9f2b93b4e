import Shared

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
        let message = String(describing: Self.self)
        var reader = ByteReader(bytes) { WireError(message: message, detail: $0) }
        let tag: UInt32 = try reader.read("tag")
        guard tag == Self.tag else {
            throw WireError(message: message, detail: "tag \(WireError.tagName(tag)) is not \(WireError.tagName(Self.tag))")
        }
        try self.init(from: &reader)
        guard reader.remaining == 0 else {
            throw WireError(message: message, detail: "\(reader.remaining) bytes after the last field")
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

