import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension StateDict {
    /// The file's bytes: safetensors inside gzip. `gzip -dc FILE` gives a plain `.safetensors`;
    /// in Python: `safetensors.numpy.load(gzip.decompress(open(FILE, "rb").read()))`.
    public func encoded(compressionLevel: Int32 = 1) throws -> [UInt8] {
        let plain = SafeTensors.encode(self)
        return try plain.withUnsafeBytes { try Gzip.compress($0, level: compressionLevel) }
    }

    /// Decodes and verifies the bytes of a state-dict file; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> StateDict {
        let plain: [UInt8]
        do {
            plain = try bytes.withUnsafeBytes { try Gzip.decompress($0) }
        } catch let error as GzipError {
            throw StateDictError.corrupt(file: file, detail: error.description)
        }
        return try plain.withUnsafeBytes { try SafeTensors.decode($0, file: file) }
    }

    /// Writes the state dict atomically: a temporary file beside `url`, flushed to disk, then
    /// renamed over `url`, so a crash at any instant leaves either the old file or the new one.
    public func write(to url: URL, compressionLevel: Int32 = 1) throws {
        try AtomicFile.write(try encoded(compressionLevel: compressionLevel), to: url)
    }

    /// Reads and verifies a state-dict file.
    public static func read(from url: URL) throws -> StateDict {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw StateDictError.io(file: url.path, detail: "cannot read: \(error.localizedDescription)")
        }
        return try decode([UInt8](data), file: url.path)
    }
}

/// Crash-safe file replacement (write temporary, fsync, rename, fsync the directory).
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw StateDictError.io(file: temporary, detail: "cannot create: \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            var written = 0
            try bytes.withUnsafeBytes { raw in
                while written < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw StateDictError.io(file: temporary, detail: "write failed: \(String(cString: strerror(errno)))")
                    }
                    written += n
                }
            }
            guard fsync(fd) == 0 else { throw StateDictError.io(file: temporary, detail: "fsync failed: \(String(cString: strerror(errno)))") }
        }
        guard rename(temporary, path) == 0 else {
            throw StateDictError.io(file: path, detail: "rename failed: \(String(cString: strerror(errno)))")
        }
        ok = true
        let dirFD = open(directory, O_RDONLY)
        if dirFD >= 0 { _ = fsync(dirFD); close(dirFD) }
    }
}
