import Foundation
import StateDictIO
import Testing

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrl-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func sampleDict() -> StateDict {
    var dict = StateDict(metadata: ["format": "test/1", "note": "quotes \" and \\ and\nnewlines"])
    dict["q.layers.0.weight"] = Tensor(floats: (0..<12).map { Float($0) * 0.5 - 2 }, shape: [3, 4])
    dict["q.layers.0.bias"] = Tensor(floats: [1, -2, 3.5])
    dict["adam.step"] = Tensor(scalar: Int64(42))
    dict["schedule.epsilon"] = Tensor(scalar: 0.05)
    dict["rng"] = Tensor(uint64s: [1, .max, 3, 4])
    dict["done"] = Tensor(bools: [true, false, true])
    dict["ids"] = Tensor(int32s: [-1, 7])
    dict["bytes"] = Tensor(uint8s: [0, 255])
    dict["empty"] = Tensor(floats: [], shape: [0, 4])
    return dict
}

@Suite struct StateDictRoundTripTests {
    @Test func fileRoundTripKeepsEveryDTypeShapeAndMetadata() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.safetensors.gz")
        let dict = sampleDict()
        try dict.write(to: url)
        let back = try StateDict.read(from: url)
        #expect(back == dict)
        #expect(try back.integer("adam.step") == 42)
        #expect(try back.scalar("schedule.epsilon") == 0.05)
        #expect(try back.tensor("rng").uint64s(name: "rng") == [1, .max, 3, 4])
        #expect(try back.tensor("done").bools(name: "done") == [true, false, true])
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.safetensors.gz"])
    }

    @Test func encodingIsDeterministicAndHeaderIsAligned() throws {
        let a = SafeTensors.encode(sampleDict()), b = SafeTensors.encode(sampleDict())
        #expect(a == b)
        let headerLength = a.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    @Test func scopedAndMergeMoveEntriesBetweenOwners() throws {
        var whole = StateDict()
        whole.merge(sampleDict(), prefix: "learner")
        #expect(whole.scoped("learner") == sampleDict())
        #expect(whole.scoped("learn").tensors.isEmpty)
    }

    @Test func typedAccessorsNameTheEntryOnMismatch() throws {
        let dict = sampleDict()
        #expect(throws: StateDictError.wrongDType(name: "q.layers.0.bias", expected: .float64, found: .float32)) {
            _ = try dict.tensor("q.layers.0.bias").doubles(name: "q.layers.0.bias")
        }
        #expect(throws: StateDictError.missingTensor(name: "nope")) { _ = try dict.tensor("nope") }
        var buffer = [Float](repeating: 0, count: 2)
        #expect(throws: StateDictError.self) {
            try buffer.withUnsafeMutableBufferPointer { try dict.tensor("q.layers.0.bias").copyFloats(into: $0, name: "b") }
        }
    }

    @Test func overwritingReplacesTheFileAtomically() throws {
        let url = try temporaryDirectory().appendingPathComponent("ckpt")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try StateDict(tensors: ["x": Tensor(floats: [1])]).write(to: url)
        try StateDict(tensors: ["x": Tensor(floats: [2])]).write(to: url)
        #expect(try StateDict.read(from: url).tensor("x").floats(name: "x") == [2])
    }
}

@Suite struct DamagedFileTests {
    /// Builds safetensors bytes from a header JSON and a data section.
    func rawFile(header: String, data: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out += Array(header.utf8) + data
        return out
    }

    func expectCorrupt(_ plain: [UInt8], mentioning phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let gz = plain.withUnsafeBytes { try! Gzip.compress($0) }
        #expect(sourceLocation: sourceLocation) {
            _ = try StateDict.decode(gz, file: "bad.ckpt")
        } throws: { error in
            guard case .corrupt(let file, let detail) = error as? StateDictError else { return false }
            return file == "bad.ckpt" && detail.contains(phrase)
        }
    }

    @Test func hostileHeadersAreRejectedWithTheReason() {
        let eight = [UInt8](repeating: 0, count: 8)
        expectCorrupt([1, 2, 3], mentioning: "too short")
        var huge = [UInt8](repeating: 0, count: 16)
        huge.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(1 << 40).littleEndian, as: UInt64.self) }
        expectCorrupt(huge, mentioning: "exceeds the 100 MB limit")
        var pastEnd = [UInt8](repeating: 0, count: 16)
        pastEnd.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(1000).littleEndian, as: UInt64.self) }
        expectCorrupt(pastEnd, mentioning: "runs past the end")
        expectCorrupt(rawFile(header: "not json", data: []), mentioning: "not valid safetensors JSON")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: eight),
                      mentioning: "run past the 8 data bytes")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight),
                      mentioning: "needs 12")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, data: eight),
                      mentioning: "unsupported dtype 'Q7'")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight),
                      mentioning: "negative dimension")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: eight),
                      mentioning: "overflows")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
                      mentioning: "overlaps")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
                      mentioning: "gap before tensor 'a'")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight),
                      mentioning: "4 bytes after the last tensor")
        expectCorrupt(rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, data: eight),
                      mentioning: "invalid data_offsets")
    }

    @Test func truncatedOrBitFlippedCompressedFilesAreRejected() throws {
        let good = try sampleDict().encoded()
        for cut in [0, 5, 20, good.count / 2, good.count - 1] {
            #expect(throws: StateDictError.self) { _ = try StateDict.decode(Array(good.prefix(cut)), file: "f") }
        }
        // Flip one bit in the deflate body or the CRC: gzip's checksum catches it.
        for position in [good.count / 2, good.count - 6] {
            var damaged = good
            damaged[position] ^= 0x10
            #expect(throws: StateDictError.self) { _ = try StateDict.decode(damaged, file: "f") }
        }
        var trailing = good
        trailing += [1, 2, 3]
        #expect(throws: StateDictError.self) { _ = try StateDict.decode(trailing, file: "f") }
    }

    @Test func decompressionStopsAtItsSizeLimit() throws {
        let zeros = [UInt8](repeating: 0, count: 10 << 20)
        let bomb = try zeros.withUnsafeBytes { try Gzip.compress($0, level: 9) }
        #expect(bomb.count < 100_000)
        #expect(throws: GzipError.tooLarge(limit: 1 << 20)) {
            _ = try bomb.withUnsafeBytes { try Gzip.decompress($0, maximumSize: 1 << 20) }
        }
    }

    @Test func missingFileNamesThePath() {
        #expect {
            _ = try StateDict.read(from: URL(fileURLWithPath: "/nonexistent/x.ckpt"))
        } throws: { "\($0)".contains("/nonexistent/x.ckpt") }
    }
}

/// Python's `safetensors` + `numpy` read our files, and we read theirs. Needs a Python with both
/// (`./scripts/test.sh` provides one in RL_PYTHON).
@Suite struct PythonInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/safetensors_interop.py").path

    func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "python3", Self.script] + arguments
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self) + errorText)
    }

    @Test func pythonReadsWhatSwiftWrote() throws {
        let url = try temporaryDirectory().appendingPathComponent("swift.safetensors.gz")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try sampleDict().write(to: url)
        let (status, output) = try python(["read", url.path])
        try #require(status == 0, "python failed (run ./scripts/test.sh, which installs safetensors and numpy): \(output)")
        let summary = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: [String: Any]]
        let weight = try #require(summary["q.layers.0.weight"])
        #expect(weight["dtype"] as? String == "float32")
        #expect(weight["shape"] as? [Int] == [3, 4])
        #expect((weight["values"] as? [Double])?.map { Float($0) } == (0..<12).map { Float($0) * 0.5 - 2 })
        #expect(summary["adam.step"]?["values"] as? [Int] == [42])
        #expect(summary["done"]?["dtype"] as? String == "bool")
        #expect(summary["rng"]?["dtype"] as? String == "uint64")
        #expect(summary["empty"]?["shape"] as? [Int] == [0, 4])
    }

    @Test func swiftReadsWhatPythonWrote() throws {
        let url = try temporaryDirectory().appendingPathComponent("python.safetensors.gz")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let (status, output) = try python(["write", url.path])
        try #require(status == 0, "python failed (run ./scripts/test.sh, which installs safetensors and numpy): \(output)")
        let dict = try StateDict.read(from: url)
        #expect(dict.metadata["written_by"] == "python")
        #expect(try dict.tensor("policy.layers.0.weight").floats(name: "w") == (0..<12).map { Float($0) / 8 })
        #expect(try dict.tensor("policy.layers.0.weight").shape == [3, 4])
        #expect(try dict.tensor("policy.layers.0.bias").floats(name: "b") == [-1.5, 0.25, 3.0])
        #expect(try dict.integer("counters.step") == 123456789012)
        #expect(try dict.tensor("rng.state").uint64s(name: "r") == [1, (1 << 63) + 5, 3, 4])
        #expect(try dict.tensor("flags").bools(name: "f") == [true, false, true])
    }
}
