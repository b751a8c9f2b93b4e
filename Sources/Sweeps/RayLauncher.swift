import Core
import Experiments
import Foundation
import Shared

/// Where a sweep's grid points run on a Ray cluster: the cluster's address, the Python with
/// `ray` installed, and the driver (`python/swiftrl_ray.py`).
public struct RayLauncher: Sendable {
    public var address: String
    public var python: String
    public var driver: URL

    public init(address: String, python: String = "python3", driver: URL) {
        self.address = address
        self.python = python
        self.driver = driver
    }

    /// The driver next to a checkout's build (`.build/<config>/rl-train` → `python/`), or
    /// `RL_RAY_DRIVER`.
    public static func locateDriver(executable: URL) -> URL? {
        if let path = ProcessInfo.processInfo.environment["RL_RAY_DRIVER"] { return URL(fileURLWithPath: path) }
        var folder = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("python/swiftrl_ray.py")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}

extension SweepRunner {
    /// Runs every queued point as a Ray task through the driver, which writes each returned run
    /// directory into the local runs directory; the states come from the run directories
    /// afterwards, exactly as for local runs (complete runs were never submitted).
    func run(on ray: RayLauncher, stop: StopRequest, progress: ([SweepRun]) -> Void) throws -> [SweepRun] {
        let queued = runs.indices.filter { runs[$0].state == .queued }
        progress(runs)
        guard !queued.isEmpty else { return runs }
        let runsDirectory = runs[queued[0]].directory.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: runsDirectory, withIntermediateDirectories: true)
        let progressFile = directory.appendingPathComponent("ray-progress.jsonl")
        try? FileManager.default.removeItem(at: progressFile)
        let points: [[String: Any]] = queued.map { index in
            let run = runs[index]
            var point: [String: Any] = ["name": run.directory.lastPathComponent, "config": run.point.config.yaml(),
                                        "tokens": SweepSpec.tokens(of: run.point.config)]
            if case .resumable = RunDirectory.status(of: run.directory) { point["resume_from"] = run.directory.path }
            return point
        }
        let plan: [String: Any] = ["address": ray.address, "binary": executable.path, "runs_dir": runsDirectory.path,
                                   "progress": progressFile.path, "points": points]
        let planFile = directory.appendingPathComponent("ray-plan.json")
        try JSONSerialization.data(withJSONObject: plan, options: [.prettyPrinted, .sortedKeys]).write(to: planFile)
        for index in queued { runs[index].state = .running }
        progress(runs)

        let log = directory.appendingPathComponent("logs/ray-driver.log")
        let driver = try Self.start("/usr/bin/env", [ray.python, ray.driver.path, planFile.path],
                                      log: log.path)
        var forwarded = false, seen = 0
        var failures: [String: String] = [:]
        while true {
            if stop.isRequested, !forwarded {
                driver.signal(SIGINT)   // the driver cancels its tasks; each run writes a final checkpoint
                forwarded = true
            }
            let finished = driver.poll()?.shellStatus
            // Whole lines only: the driver may be writing the last one.
            let text = (try? String(contentsOf: progressFile, encoding: .utf8)) ?? ""
            let lines = text[..<(text.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex)].split(separator: "\n")
            for line in lines.dropFirst(seen) {
                guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let name = event["name"] as? String, let kind = event["event"] as? String,
                      let index = runs.firstIndex(where: { $0.directory.lastPathComponent == name }) else { continue }
                switch kind {
                case "skipped":
                    runs[index].state = .interrupted   // not started: the sweep was stopped first
                case "finished", "stopped":
                    runs[index].state = state(of: runs[index].directory, failure: nil)
                    runs[index].result = RunDirectory.readResult(in: runs[index].directory)
                case "failed":
                    failures[name] = event["detail"] as? String ?? "failed on the cluster"
                    runs[index].state = .failed("on the cluster: \(failures[name]!.suffix(300))")
                default: break
                }
                progress(runs)
            }
            seen = lines.count
            if let status = finished {
                for index in queued where runs[index].state == .running {
                    // Stopped by a signal: what did not come back keeps its local state and runs again on a rerun.
                    runs[index].state = stop.isRequested ? .interrupted
                        : state(of: runs[index].directory, failure: "the Ray driver exited with status \(status) (log: \(log.path))")
                    runs[index].result = RunDirectory.readResult(in: runs[index].directory)
                }
                progress(runs)
                return runs
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// A point's state from its local run directory once its task ended.
    private func state(of directory: URL, failure: String?) -> SweepRun.State {
        switch RunDirectory.status(of: directory) {
        case .complete: return .finished
        case .resumable: return .interrupted
        default: return .failed(failure ?? "no run directory came back")
        }
    }
}
