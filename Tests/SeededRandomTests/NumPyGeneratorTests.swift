import Foundation
import Testing
@testable import SeededRandom

/// `NumPyGenerator` against NumPy itself (`python/gymnasium_reference.py numpy`): the same seed
/// gives the same uniform and normal draws bit for bit, the ziggurat's tail and wedge included.
@Suite struct NumPyGeneratorTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "python3"

    struct Reference: Decodable {
        var seed: UInt64
        var uniform: [String]
        var normal: [String]
    }

    static func reference(seed: UInt64, count: Int) throws -> Reference {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, repository.appendingPathComponent("python/gymnasium_reference.py").path,
                             "numpy", "--seed", "\(seed)", "--count", "\(count)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "NumPy's reference draws need numpy for \(python) (scripts/test.sh installs it)")
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    @Test(arguments: [0, 1, 42, 5_000_000_005, UInt64(Int64.max), 12_345_678_901_234_567_890] as [UInt64])
    func drawsEqualNumPys(seed: UInt64) throws {
        let count = 400_000
        let reference = try Self.reference(seed: seed, count: count)
        var random = NumPyGenerator(seed: seed)
        for i in 0..<count {
            let ours = random.uniform(low: -1, high: 1)
            guard ours.bitPattern == Double(reference.uniform[i])!.bitPattern else {
                Issue.record("seed \(seed): uniform draw \(i) is \(ours.hexDescription); NumPy's is \(reference.uniform[i])")
                return
            }
        }
        var tails = 0, wedges = 0
        for i in 0..<count {
            let before = random.bits
            let ours = random.standardNormal()
            // More than one 64-bit word consumed: the draw left the rectangles (wedge or tail).
            var probe = before
            _ = probe.next()
            if probe != random.bits { if abs(ours) > ZigguratTables.normalR { tails += 1 } else { wedges += 1 } }
            guard ours.bitPattern == Double(reference.normal[i])!.bitPattern else {
                Issue.record("seed \(seed): normal draw \(i) is \(ours.hexDescription); NumPy's is \(reference.normal[i])")
                return
            }
        }
        // 400k draws leave the rectangles about 0.7% of the time and reach the tail about 1 in 3,800.
        #expect(wedges > 1000)
        #expect(tails > 20)
    }

    @Test func aRestoredGeneratorContinuesTheSameStream() throws {
        var random = NumPyGenerator(seed: 9)
        for _ in 0..<17 { _ = random.standardNormal() }
        var copy = try #require(NumPyGenerator(stateWords: random.stateWords))
        for _ in 0..<1000 { #expect(copy.standardNormal() == random.standardNormal()) }
        #expect(NumPyGenerator(stateWords: [1, 2, 3, 4]) == nil)  // an even increment is no PCG64 state
    }
}

extension Double {
    var hexDescription: String { String(format: "%a", self) }
}

import CCrypto

extension NumPyGeneratorTests {
    /// The computed tables equal NumPy's shipped `ki`, `wi`, `fi` (SHA-256 of each as 256
    /// little-endian 64-bit values, taken from NumPy 2.4.6's ziggurat_constants.h).
    @Test func theZigguratTablesEqualNumPys() {
        func sha256(_ words: [UInt64]) -> String {
            let bytes = words.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            bytes.withUnsafeBufferPointer { _ = EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
            return digest[..<Int(length)].map { String(format: "%02x", $0) }.joined()
        }
        let tables = ZigguratTables.normal
        #expect(sha256(tables.k) == "565295797825931547a1036f5b012a247be54abbe077c39fe06c8ed1e9d0a5a9")
        #expect(sha256(tables.w.map(\.bitPattern)) == "33c6472209e1d09ea3548f0291e5e1ad67fb4f1d0305e9f1086689584b7bb7fa")
        #expect(sha256(tables.f.map(\.bitPattern)) == "acd898d9d87e212f657755ba43b21e40958090a7ff2103c9e79f4ea1b0fe2bc5")
    }
}
