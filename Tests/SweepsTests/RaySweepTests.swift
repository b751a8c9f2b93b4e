import Experiments
import Foundation
import Learner
import Sweeps
import Testing

/// The repository root (Tests/ExperimentsTests/ → ../..).
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let python = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? repository.appendingPathComponent(".build-py/venv/bin/python").path

/// Runs a command; returns its exit status and output.
@discardableResult
private func sh(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 600) throws -> (status: Int32, output: String) {
    let process = Process(), output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = environment.map { "\($0.key)=\($0.value)" } + arguments
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether a namespaced Ray cluster can run here (root, `ip netns`, ray in the test venv).
private let rayClusterAvailable: Bool = {
    (try? sh([repository.appendingPathComponent("scripts/ray-cluster.sh").path, "check"],
             environment: ["RAY": URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("ray").path]))?.status == 0
}()

/// A sweep on a real three-node Ray cluster on this machine: a head and two workers, each in its
/// own network namespace (scripts/ray-cluster.sh). The sweep's driver runs in the head's namespace.
@Suite(.serialized) struct RaySweepTests {
    let cluster = repository.appendingPathComponent("scripts/ray-cluster.sh").path
    let environment = ["RL_RAY_PYTHON": python, "RAY": URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("ray").path]

    func sweepFile(_ directory: URL, name: String, set: [String], seeds: [Int]) throws -> URL {
        let file = directory.appendingPathComponent("\(name).yaml")
        let overrides = (set + ["train.runs_dir=\(directory.appendingPathComponent("runs").path)"]).map { "\"\($0)\"" }.joined(separator: ", ")
        try """
        base: \(repository.appendingPathComponent("configs/dqn-cartpole.yaml").path)
        set: [\(overrides)]
        grid:
          train.seed: [\(seeds.map(String.init).joined(separator: ", "))]
        tokens: 4
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func sweep(_ file: URL, executable: URL, ray: Bool) throws -> (status: Int32, output: String) {
        try sh((ray ? ["ip", "netns", "exec", "rl-head"] : []) + [executable.path, "sweep", file.path] + (ray ? ["--ray", "10.77.0.1:6379"] : []),
               environment: environment)
    }

    @Test(.enabled(if: rayClusterAvailable, "needs root, ip netns and ray in the test venv (scripts/install-deps.sh --ray); skipped"))
    func aSweepRunsOnThreeNodesReusesCompleteRunsAndSurvivesAWorkerNodeDying() throws {
        guard let executable = rlTrainExecutable() else { return }
        let directory = try temporaryDirectory("ray")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Short: Ray's socket paths under each node's temp dir must fit a Unix socket name (107 bytes).
        let clusterDirectory = URL(fileURLWithPath: "/tmp/rlray-\(getpid())")
        defer { try? FileManager.default.removeItem(at: clusterDirectory) }
        let up = try sh([cluster, "up", clusterDirectory.path], environment: environment)
        defer { _ = try? sh([cluster, "down", clusterDirectory.path], environment: environment) }
        try #require(up.status == 0, "cluster: \(up.output.suffix(800))")

        // Four deterministic points: results from both workers, the same table as a local sweep.
        let small = ["train.env_steps=3000", "memory.min_size=300", "network.hidden=[16]", "train.eval_every=500", "eval.episodes=3",
                     "train.deterministic=true"]
        let onRay = try sweepFile(directory, name: "small", set: small, seeds: [1, 2, 3, 4])
        let first = try sweep(onRay, executable: executable, ray: true)
        #expect(first.status == 0, "\(first.output.suffix(1500))")
        let runs = directory.appendingPathComponent("runs")
        let results = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasPrefix("dqn-") }
            .compactMap { RunDirectory.readResult(in: runs.appendingPathComponent($0)) }
        #expect(results.count == 4)
        #expect(Set(results.compactMap(\.worker)).count == 2, "results came from both worker nodes: \(results.map(\.worker))")
        // A rerun submits nothing.
        let again = try sweep(onRay, executable: executable, ray: true)
        #expect(again.status == 0 && again.output.contains("0 finished, 4 reused"), "\(again.output.suffix(600))")
        // The same sweep run locally (another runs directory) gives the same table but for wall time.
        let local = directory.appendingPathComponent("local")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        let localFile = try sweepFile(local, name: "small", set: small, seeds: [1, 2, 3, 4])
        #expect(try sweep(localFile, executable: executable, ray: false).status == 0)
        func table(_ sweepDirectory: URL) throws -> [[Substring]] {
            try String(contentsOf: sweepDirectory.appendingPathComponent("results.csv"), encoding: .utf8).split(separator: "\n")
                .map { Array($0.split(separator: ",", omittingEmptySubsequences: false).dropLast()) }   // the last column: seconds
        }
        #expect(try table(runs.appendingPathComponent("sweeps/small")) == table(local.appendingPathComponent("runs/sweeps/small")))

        // Four longer points; one worker node is killed while they run: Ray retries its tasks on
        // the other node and the table completes.
        let long = try sweepFile(directory, name: "long", set: ["train.env_steps=8000", "network.hidden=[64, 64]", "algorithm.updates_per_step=1.0",
                                                                 "train.eval_every=null", "eval.episodes=2"], seeds: [11, 12, 13, 14])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = environment.map { "\($0.key)=\($0.value)" } + ["ip", "netns", "exec", "rl-head", executable.path, "sweep", long.path,
                                                                          "--ray", "10.77.0.1:6379"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let progress = runs.appendingPathComponent("sweeps/long/ray-progress.jsonl")
        // Kill w2 once both workers are training (an rl-train process in each namespace).
        func training(_ node: String) -> Bool {
            let pids = ((try? sh(["ip", "netns", "pids", "rl-\(node)"]))?.output ?? "").split(separator: "\n")
            return pids.contains { pid in
                ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("rl-train\u{0}train")
            }
        }
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !(training("w1") && training("w2")) { Thread.sleep(forTimeInterval: 0.2) }
        #expect(training("w2"), "a point was training on w2 when it was killed")
        #expect(try sh([cluster, "kill", clusterDirectory.path, "w2"], environment: environment).status == 0)
        process.waitUntilExit()
        let driverLog = (try? String(contentsOf: runs.appendingPathComponent("sweeps/long/logs/ray-driver.log"), encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0,
                "progress: \((try? String(contentsOf: progress, encoding: .utf8)) ?? "")\ndriver: \(driverLog.suffix(1500))")
        let longResults = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.contains("seed=1") && $0.hasPrefix("dqn-") }
            .filter { name in ["seed=11", "seed=12", "seed=13", "seed=14"].contains { name.contains($0) } }
            .compactMap { RunDirectory.readResult(in: runs.appendingPathComponent($0)) }
        #expect(longResults.count == 4, "every point completed after the node died")
        // A worker holds one 2-token point at a time: with the other node dead from the start of
        // the second round, the surviving one ran at least three (its own two and the retried one).
        #expect(longResults.filter { $0.worker == "10.77.0.2" }.count >= 3, "\(longResults.map(\.worker))")

        // Ctrl-C while a point trains (on the one node left; the other point waits): the sweep exits
        // 130, the running point's final checkpoint comes back, and a rerun resumes it to the end.
        let stopped = try sweepFile(directory, name: "stopped", set: ["train.env_steps=30000", "network.hidden=[64, 64]", "train.eval_every=null",
                                                                       "eval.episodes=2", "callbacks=[{checkpointer: {every: 200}}, metrics]"],
                                    seeds: [21, 22])
        let interrupted = Process()
        interrupted.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        interrupted.arguments = process.arguments!.dropLast(3) + [stopped.path, "--ray", "10.77.0.1:6379"]
        interrupted.standardOutput = FileHandle.nullDevice
        interrupted.standardError = FileHandle.nullDevice
        try interrupted.run()
        // Interrupt once a point trains: its first periodic checkpoint (every 200 updates) is in its
        // run directory on the worker (run_point's mkdtemp under /tmp).
        func aPointCheckpointed() -> Bool {
            let workDirectories = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("swiftrl-") }
            return workDirectories.contains { work in
                let workRuns = URL(fileURLWithPath: "/tmp/\(work)/runs")
                return ((try? FileManager.default.contentsOfDirectory(atPath: workRuns.path)) ?? [])
                    .filter { $0.contains("seed=21") || $0.contains("seed=22") }
                    .contains { !CheckpointLoader.checkpoints(in: workRuns.appendingPathComponent($0).appendingPathComponent("checkpoints")).isEmpty }
            }
        }
        let until = Date().addingTimeInterval(180)
        while Date() < until, interrupted.isRunning, !aPointCheckpointed() { Thread.sleep(forTimeInterval: 0.1) }
        try #require(aPointCheckpointed(), "no point of the sweep to stop wrote a checkpoint within 180 s")
        kill(interrupted.processIdentifier, SIGINT)   // env and ip exec into rl-train: this is the sweep
        interrupted.waitUntilExit()
        #expect(interrupted.terminationStatus == 130)
        let resumable = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.contains("seed=21") || $0.contains("seed=22") }
        #expect(resumable.contains { name in
            if case .resumable = RunDirectory.status(of: runs.appendingPathComponent(name)) { return true } else { return false }
        }, "the running point's final checkpoint came back")
        let rerun = try sweep(stopped, executable: executable, ray: true)
        #expect(rerun.status == 0, "\(rerun.output.suffix(600))")
        let resumed = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.contains("seed=21") || $0.contains("seed=22") }
            .compactMap { RunDirectory.readResult(in: runs.appendingPathComponent($0)) }
        #expect(resumed.count == 2 && resumed.contains { $0.resumedFromUpdates != nil }, "the rerun resumed the stopped point")
    }
}
