import Envs
import Foundation
import Testing

/// Locates `shared/reference/trajectories` (beside the repository, or `RL_REFERENCE_DIR`).
func referenceDirectory() throws -> URL {
    if let dir = ProcessInfo.processInfo.environment["RL_REFERENCE_DIR"] {
        return URL(fileURLWithPath: dir)
    }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = repo.deletingLastPathComponent().appendingPathComponent("shared/reference/trajectories")
    guard FileManager.default.fileExists(atPath: dir.path) else {
        throw ReferenceMissing(path: dir.path)
    }
    return dir
}

struct ReferenceMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "reference trajectories not found at \(path); set RL_REFERENCE_DIR" }
}

/// One reference file, decoded with the fields the comparison needs.
struct ReferenceFile: Decodable {
    struct Trajectory: Decodable {
        struct Step: Decodable { var obs: [Double]; var reward: Double; var terminated: Bool; var truncated: Bool }
        var id: String
        var initial_state: [Double]
        var steps: [Step]
    }
    var env_id: String
    var max_episode_steps: Int
    var trajectories: [Trajectory]
}

func loadReference(_ envID: String) throws -> (ReferenceFile, [Data]) {
    let url = try referenceDirectory().appendingPathComponent("\(envID).json")
    let data = try Data(contentsOf: url)
    let file = try JSONDecoder().decode(ReferenceFile.self, from: data)
    // The raw trajectory objects, re-serialised as replay requests (actions exactly as recorded).
    let raw = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let requests = try (raw["trajectories"] as! [[String: Any]]).map { t in
        try JSONSerialization.data(withJSONObject: [
            "env_id": envID, "initial_state": t["initial_state"]!, "actions": t["actions"]!,
            "max_episode_steps": file.max_episode_steps, "trajectory_id": t["id"]!,
        ])
    }
    return (file, requests)
}

/// Compares replayed steps with the reference at the README's tolerances; returns the first mismatch.
func firstMismatch(_ records: [ReferenceReplay.StepRecord], _ reference: [ReferenceFile.Trajectory.Step]) -> String? {
    for (i, (ours, theirs)) in zip(records, reference).enumerated() {
        if ours.observation.count != theirs.obs.count { return "step \(i + 1): observation size \(ours.observation.count) vs \(theirs.obs.count)" }
        for (j, (a, b)) in zip(ours.observation, theirs.obs).enumerated() where a != Float(b) {
            return "step \(i + 1): obs[\(j)] = \(a), reference \(Float(b))"
        }
        let scale = max(abs(theirs.reward), 1e-300)
        if abs(ours.reward - theirs.reward) > 1e-9 * scale && ours.reward != theirs.reward {
            return "step \(i + 1): reward \(ours.reward), reference \(theirs.reward)"
        }
        if ours.terminated != theirs.terminated || ours.truncated != theirs.truncated {
            return "step \(i + 1): flags (\(ours.terminated), \(ours.truncated)), reference (\(theirs.terminated), \(theirs.truncated))"
        }
    }
    if records.count != reference.count { return "\(records.count) steps replayed, reference has \(reference.count)" }
    return nil
}

@Suite("Gymnasium reference trajectories")
struct ReferenceTrajectoryTests {
    static let environmentIDs = ["CartPole-v1", "Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1"]

    @Test("every trajectory replays bit-exactly", arguments: environmentIDs)
    func replayMatchesGymnasium(envID: String) throws {
        let (file, requests) = try loadReference(envID)
        #expect(file.trajectories.count == 4)
        for (trajectory, requestData) in zip(file.trajectories, requests) {
            let request = try ReferenceReplay.parseRequest(requestData)
            let records = try ReferenceReplay().run(request)
            let mismatch = firstMismatch(records, trajectory.steps)
            #expect(mismatch == nil, "\(trajectory.id): \(mismatch ?? "")")
        }
    }

    @Test("the built rl-train env-replay speaks the protocol on stdin/stdout")
    func commandLineReplay() throws {
        guard let executable = builtRLTrain() else { return }
        let (file, requests) = try loadReference("Acrobot-v1")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["env-replay"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(requests[1])
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("{") }
        let records = try lines.map { line -> ReferenceReplay.StepRecord in
            let step = try JSONDecoder().decode(ReferenceFile.Trajectory.Step.self, from: Data(line.utf8))
            return .init(observation: step.obs.map { Float($0) }, reward: step.reward,
                         terminated: step.terminated, truncated: step.truncated)
        }
        #expect(records.count == file.trajectories[1].steps.count)
        #expect(firstMismatch(records, file.trajectories[1].steps) == nil)
    }
}

/// The rl-train binary built next to this test binary (or one level up, for .xctest bundle
/// layouts); records an issue and returns nil when it is missing.
func builtRLTrain() -> URL? {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if let executable = [binary, binary.deletingLastPathComponent()].map({ $0.appendingPathComponent("rl-train") })
        .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
        return executable
    }
    Issue.record("rl-train not found next to the test binary (\(binary.path)); run `swift build` first")
    return nil
}
