import Foundation
import Testing

/// The README's Swift examples compile against the package's modules as built for this test
/// run (type-checked with swiftc), so they cannot rot unnoticed.
@Suite struct ReadmeExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The ```swift blocks of README.md.
    static func examples() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [String] = [], current: [Substring]? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" { current = [] } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else { current?.append(line) }
        }
        return blocks
    }

    @Test func everySwiftExampleInTheREADMECompiles() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 2)
        // The test binary sits in the build directory that holds the modules.
        let build = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let modules = build.appendingPathComponent("Modules")
        guard FileManager.default.fileExists(atPath: modules.appendingPathComponent("Envs.swiftmodule").path) else {
            Issue.record("no Envs.swiftmodule in \(modules.path)")
            return
        }
        let sources = Self.root.appendingPathComponent("Sources").path
        let checkouts = Self.root.appendingPathComponent(".build/checkouts").path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for (index, example) in examples.enumerated() {
            let file = work.appendingPathComponent("example\(index)/main.swift")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try example.write(to: file, atomically: true, encoding: .utf8)
            let process = Process(), output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["swiftc", "-typecheck", "-I", modules.path,
                                 "-Xcc", "-fmodule-map-file=\(checkouts)/swift-atomics/Sources/_AtomicsShims/include/module.modulemap",
                                 "-Xcc", "-fmodule-map-file=\(build.path)/CSupport.build/module.modulemap", "-Xcc", "-I", "-Xcc", "\(sources)/CSupport/include",
                                 "-Xcc", "-fmodule-map-file=\(build.path)/CSmallGemm.build/module.modulemap", "-Xcc", "-I", "-Xcc", "\(sources)/CSmallGemm/include",
                                 "-Xcc", "-fmodule-map-file=\(sources)/CBLAS/module.modulemap", "-Xcc", "-fmodule-map-file=\(sources)/CZlib/module.modulemap",
                                 "-Xcc", "-fmodule-map-file=\(sources)/CCrypto/module.modulemap",
                                 "-Xcc", "-fmodule-map-file=\(sources)/CMuJoCo/module.modulemap",
                                 "-Xcc", "-fmodule-map-file=\(checkouts)/Yams/Sources/CYaml/include/module.modulemap",
                                 "-Xcc", "-I", "-Xcc", "\(checkouts)/Yams/Sources/CYaml/include",
                                 "-module-cache-path", work.appendingPathComponent("cache").path, file.path]
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "README example \(index + 1) does not compile:\n\(example)\n\(text)")
        }
    }
}
