import Foundation

/// A TensorBoard event file written from its specification: TFRecord framing (length, masked
/// CRC-32C of the length, the data, masked CRC-32C of the data) around `Event` protocol buffers
/// (tensorflow/core/util/event.proto) holding scalar `Summary` values or a `SessionLog`.
///
///     let file = try TensorBoardEventFile(directory: runDirectory.appendingPathComponent("tensorboard"))
///     file.scalar("train/loss", 0.25, step: 1_000)
///     try file.flush()
///
/// Only four messages and seven fields are used, so they are encoded here by hand (and pinned
/// by golden-byte tests) rather than through generated swift-protobuf code and its runtime.
public final class TensorBoardEventFile {
    public let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    /// Creates `events.out.tfevents.<seconds>.<host>.<pid>` in `directory` (made if missing)
    /// and writes the header event.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        var name = "events.out.tfevents.\(Int(now)).\(host).\(getpid())"
        var suffix = 1
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            name = "events.out.tfevents.\(Int(now)).\(host).\(getpid()).\(suffix)"
            suffix += 1
        }
        url = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        append(Self.event(wallTime: now, step: 0, fileVersion: "brain.Event:2"))
        try flush()
    }

    /// Appends a scalar at `step`.
    public func scalar(_ tag: String, _ value: Double, step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        append(Self.event(wallTime: wallTime, step: step, summary: Self.summary([(tag, Float(value))])))
    }

    /// A `SessionLog` START at `step`: TensorBoard drops the events of earlier sessions past it
    /// (an interrupted run's tail that its resume repeats).
    public func sessionStart(step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        append(Self.event(wallTime: wallTime, step: step, sessionLog: [0x08, 0x01]))
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws {
        try flush()
        try handle.close()
    }

    private func append(_ event: [UInt8]) { buffer += Self.record(event) }

    // MARK: - Encoding

    /// TFRecord framing of one record.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var n = UInt64(data.count)
        for _ in 0..<8 { length.append(UInt8(n & 0xFF)); n >>= 8 }
        return length + littleEndian(CRC32C.masked(length)) + data + littleEndian(CRC32C.masked(data))
    }

    /// `Event`: wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5, session_log = 7
    /// (6 is the deprecated log_message).
    public static func event(wallTime: Double, step: Int, fileVersion: String? = nil, summary: [UInt8]? = nil,
                             sessionLog: [UInt8]? = nil) -> [UInt8] {
        var bytes: [UInt8] = [0x09] + littleEndian(wallTime.bitPattern)
        bytes += [0x10] + varint(UInt64(bitPattern: Int64(step)))
        if let fileVersion { bytes += lengthDelimited(field: 3, Array(fileVersion.utf8)) }
        if let summary { bytes += lengthDelimited(field: 5, summary) }
        if let sessionLog { bytes += lengthDelimited(field: 7, sessionLog) }
        return bytes
    }

    /// `Summary` of `Value`s: tag = 1 (string), simple_value = 2 (float).
    public static func summary(_ values: [(tag: String, value: Float)]) -> [UInt8] {
        values.flatMap { tag, value in
            lengthDelimited(field: 1, lengthDelimited(field: 1, Array(tag.utf8)) + [0x15] + littleEndian(value.bitPattern))
        }
    }

    static func lengthDelimited(field: UInt64, _ payload: [UInt8]) -> [UInt8] {
        varint(field << 3 | 2) + varint(UInt64(payload.count)) + payload
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, bytes: [UInt8] = []
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return bytes + [UInt8(v)]
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
