import CZlib

/// gzip compression through zlib. Weights barely compress (float mantissas look random), so the
/// default level is 1: fast, and still a standard `.gz` any tool opens.
public enum Gzip {
    /// Compresses `input` into a gzip member (RFC 1952).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 1) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one.
        var status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError.zlib(status: status, operation: "deflateInit2") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        let written: Int = try output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            status = deflate(&stream, Z_FINISH)
            guard status == Z_STREAM_END else { throw GzipError.zlib(status: status, operation: "deflate") }
            return Int(stream.total_out)
        }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses a gzip (or zlib) stream. Output grows only as data really decompresses and
    /// stops at `maximumSize`, so a hostile file cannot make it allocate more than that.
    public static func decompress(_ input: UnsafeRawBufferPointer, maximumSize: Int = 16 << 30) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: detect gzip or zlib headers automatically.
        var status = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError.zlib(status: status, operation: "inflateInit2") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        repeat {
            let produced: Int = chunk.withUnsafeMutableBytes { out in
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count)
                status = inflate(&stream, Z_NO_FLUSH)
                return out.count - Int(stream.avail_out)
            }
            switch status {
            case Z_OK, Z_STREAM_END:
                break
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw GzipError.truncated
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw GzipError.corrupt(message)
            }
            guard output.count + produced <= maximumSize else { throw GzipError.tooLarge(limit: maximumSize) }
            output.append(contentsOf: chunk[0..<produced])
        } while status != Z_STREAM_END
        guard stream.avail_in == 0 else { throw GzipError.corrupt("\(stream.avail_in) bytes after the end of the compressed stream") }
        return output
    }
}

/// Compression failures, with zlib's own words where it gave any.
public enum GzipError: Error, CustomStringConvertible, Equatable {
    case zlib(status: Int32, operation: String)
    case corrupt(String)
    case truncated
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case let .zlib(status, operation): return "zlib \(operation) failed with status \(status)"
        case .corrupt(let message): return "compressed data is damaged (\(message))"
        case .truncated: return "compressed data ends early (file truncated?)"
        case .tooLarge(let limit): return "decompressed data exceeds the \(limit)-byte limit"
        }
    }
}
