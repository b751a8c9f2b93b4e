import Foundation
import Shared
import Testing

/// The one way the package starts processes: statuses as the shell reports them, its own
/// process group, nothing of the parent's open files, and no signal to a reaped pid.
@Suite struct ChildProcessTests {
    @Test func exitStatusesAndSignalsAreReportedAsTheShellDoes() throws {
        let exits = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exit 3"])
        #expect(exits.wait() == .exited(3) && exits.wait().shellStatus == 3)
        let sleeper = try ChildProcess(executable: "/bin/sleep", arguments: ["60"])
        #expect(sleeper.poll() == nil && sleeper.isRunning)
        sleeper.signal(SIGTERM)
        #expect(sleeper.wait() == .signalled(SIGTERM) && sleeper.wait().shellStatus == 128 + SIGTERM)
        sleeper.signal(SIGKILL)   // reaped: nothing is sent to a pid that may be another process's now
        let missing = try ChildProcess(executable: "/usr/bin/env", arguments: ["--", "/nonexistent/interpreter"])
        #expect(missing.wait() == .exited(127))
        #expect(throws: ChildProcessError.self) { _ = try ChildProcess(executable: "/nonexistent/binary", arguments: []) }
    }

    /// A descriptor this process holds open (without close-on-exec) does not reach the child,
    /// which lives in a process group of its own and gets the environment entries it is given.
    @Test func theChildGetsItsOwnGroupTheGivenEnvironmentAndNoneOfOurFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let held = open(directory.appendingPathComponent("held").path, O_WRONLY | O_CREAT, 0o644)   // no O_CLOEXEC
        #expect(held > 2)
        defer { close(held) }
        let log = directory.appendingPathComponent("log").path
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd; echo group $(ps -o pgid= $$); echo pid $$; echo value $SHARED_TEST_VALUE"],
                                     logFile: log, environment: ["SHARED_TEST_VALUE": "42"])
        #expect(child.wait() == .exited(0))
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        let descriptors = lines.compactMap { Int($0) }
        #expect(!descriptors.contains(Int(held)), "the child holds our descriptor \(held): \(descriptors)")
        let group = lines.first { $0.hasPrefix("group ") }?.split(separator: " ").last.flatMap { Int($0) }
        let pid = lines.first { $0.hasPrefix("pid ") }?.split(separator: " ").last.flatMap { Int($0) }
        #expect(group != nil && group == pid, "\(lines)")
        #expect(Int32(group ?? 0) != getpgrp())
        #expect(lines.contains("value 42"), "\(lines)")
    }
}
