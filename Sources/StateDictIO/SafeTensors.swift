import Foundation
import Shared

/// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON (`{"name": {"dtype": "F32", "shape": [..], "data_offsets":
/// [begin, end]}, "__metadata__": {..}}`, padded with spaces to a multiple of 8), then the
/// tensors' raw little-endian bytes, back to back. Python reads it with `safetensors.numpy`.
public enum SafeTensors {
    /// Largest header accepted, as the reference implementation's limit: 100 MB.
    public static let maximumHeaderSize = 100_000_000

    /// Serialises a state dict; tensors are laid out in name order, so the bytes are deterministic.
    public static func encode(_ dict: StateDict) -> [UInt8] {
        let names = dict.tensors.keys.sorted()
        var header = "{"
        var offset = 0
        var first = true
        if !dict.metadata.isEmpty {
            let entries = dict.metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(dict.metadata[$0]!))" }
            header += "\"__metadata__\":{\(entries.joined(separator: ","))}"
            first = false
        }
        for name in names {
            let tensor = dict.tensors[name]!
            if !first { header += "," }
            first = false
            let end = offset + tensor.bytes.count
            header += "\(jsonString(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for name in names { out.append(contentsOf: dict.tensors[name]!.bytes) }
        return out
    }

    /// Parses and verifies safetensors bytes. Every size and offset is checked against the
    /// buffer before any tensor is built, so a damaged or hostile input throws
    /// `StateDictError.corrupt` (naming `file`) and never allocates more than the input holds.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> StateDict {
        func corrupt(_ detail: String) -> StateDictError { .corrupt(file: file, detail: detail) }
        guard bytes.count >= 8 else { throw corrupt("\(bytes.count) bytes is too short for a safetensors header") }
        var reader = ByteReader(bytes) { corrupt("the safetensors header: \($0)") }
        let headerLength: UInt64 = try reader.read("its length")
        guard headerLength <= UInt64(maximumHeaderSize) else { throw corrupt("header length \(headerLength) exceeds the 100 MB limit") }
        guard headerLength <= UInt64(reader.remaining) else {
            throw corrupt("header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        let headerData = Data(try reader.readRaw(Int(headerLength), "its JSON"))
        let entries: [String: HeaderValue]
        do {
            entries = try JSONDecoder().decode([String: HeaderValue].self, from: headerData)
        } catch {
            throw corrupt("header is not valid safetensors JSON (\(describe(error)))")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[(8 + Int(headerLength))...])
        var metadata: [String: String] = [:]
        var layout: [(name: String, dtype: TensorDType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in entries {
            switch value {
            case .metadata(let m):
                guard name == "__metadata__" else { throw corrupt("entry '\(name)' is not a tensor description") }
                metadata = m
            case .tensor(let dtypeName, let shape, let offsets):
                guard name != "__metadata__" else { throw corrupt("__metadata__ must map strings to strings") }
                guard let dtype = TensorDType(rawValue: dtypeName) else { throw corrupt("tensor '\(name)' has unsupported dtype '\(dtypeName)'") }
                guard shape.allSatisfy({ $0 >= 0 }) else { throw corrupt("tensor '\(name)' has a negative dimension in \(shape)") }
                var elements = 1
                for dim in shape {
                    let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                    guard !overflow else { throw corrupt("tensor '\(name)' shape \(shape) overflows") }
                    elements = product
                }
                let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
                guard !overflow else { throw corrupt("tensor '\(name)' shape \(shape) overflows") }
                guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                    throw corrupt("tensor '\(name)' has invalid data_offsets \(offsets)")
                }
                guard offsets[1] <= data.count else {
                    throw corrupt("tensor '\(name)' data_offsets \(offsets) run past the \(data.count) data bytes (file truncated?)")
                }
                guard offsets[1] - offsets[0] == byteCount else {
                    throw corrupt("tensor '\(name)' spans \(offsets[1] - offsets[0]) bytes; shape \(shape) of \(dtype.rawValue) needs \(byteCount)")
                }
                layout.append((name, dtype, shape, offsets[0], offsets[1]))
            }
        }
        // Tensors must tile the data section exactly: no gaps, no overlaps, nothing trailing.
        layout.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        for entry in layout {
            guard entry.begin == cursor else {
                throw corrupt(entry.begin < cursor ? "tensor '\(entry.name)' overlaps another" : "gap before tensor '\(entry.name)'")
            }
            cursor = entry.end
        }
        guard cursor == data.count else { throw corrupt("\(data.count - cursor) bytes after the last tensor") }
        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(layout.count)
        for entry in layout {
            tensors[entry.name] = Tensor(dtype: entry.dtype, shape: entry.shape, bytes: Array(data[entry.begin ..< entry.end]))
        }
        return StateDict(tensors: tensors, metadata: metadata)
    }

    /// One value of the header object: a tensor description or the metadata map.
    private enum HeaderValue: Decodable {
        case tensor(dtype: String, shape: [Int], offsets: [Int])
        case metadata([String: String])

        private enum Keys: String, CodingKey { case dtype, shape, data_offsets }

        init(from decoder: any Decoder) throws {
            if let container = try? decoder.container(keyedBy: Keys.self), container.contains(.dtype) {
                self = .tensor(dtype: try container.decode(String.self, forKey: .dtype),
                               shape: try container.decode([Int].self, forKey: .shape),
                               offsets: try container.decode([Int].self, forKey: .data_offsets))
            } else {
                self = .metadata(try decoder.singleValueContainer().decode([String: String].self))
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "at \(path): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func jsonString(_ s: String) -> String { jsonQuoted(s) }
}

/// `s` as a JSON string literal (quotes, escapes for quotes, backslashes and control characters).
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
