#if MuJoCo
import Foundation
import Testing
import Envs
@testable import MuJoCoEnvs

/// Our MuJoCo tasks against Gymnasium's (`python/gymnasium_reference.py`, same libmujoco):
/// reset observations for 1,000 seeds and whole episodes of random float32 actions (some
/// beyond the bounds) are bitwise equal: observations, rewards, terminated and truncated.
@Suite(.serialized) struct MuJoCoParityTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "python3"
    static let tasks = MuJoCoTasks.all.map(\.id)

    static func reference(_ arguments: [String]) throws -> [Data] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, repository.appendingPathComponent("python/gymnasium_reference.py").path] + arguments
        // Gymnasium's MuJoCo bindings leave a MUJOCO_LOG.TXT where they run: not in the checkout.
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MuJoCoError.assetsNotFound(id: arguments.joined(separator: " "), file: "gymnasium_reference.py",
                                             detail: "\(python) failed; it needs gymnasium[mujoco] (scripts/test.sh installs it)")
        }
        return data.split(separator: UInt8(ascii: "\n")).map { Data($0) }
    }

    static func bits(_ hex: [String]) -> [UInt64] { hex.map { Double($0)!.bitPattern } }

    struct ResetLine: Decodable { var seed: UInt64; var obs: [String] }
    struct Episode: Decodable {
        var seed: UInt64
        var reset_obs: [String]
        var qpos: [String]
        var qvel: [String]
        var steps: [Step]
    }
    struct Step: Decodable {
        var action: [Float]
        var obs: [String]
        var reward: String
        var terminated: Bool
        var truncated: Bool
    }

    static func make(_ id: String) throws -> any DoublePrecisionObservations {
        try #require(try EnvironmentRegistry.standard.make(id, seed: 0) as? any DoublePrecisionObservations)
    }

    @Test(arguments: tasks)
    func resetObservationsEqualGymnasiumsForAThousandSeeds(id: String) throws {
        var env = try Self.make(id)
        let observation = UnsafeMutableBufferPointer<Float>.allocate(capacity: env.observationSpace.size)
        defer { observation.deallocate() }
        var checked = 0
        for line in try Self.reference(["resets", "--env", id, "--seeds", "1000"]) {
            let expected = try JSONDecoder().decode(ResetLine.self, from: line)
            try env.reset(seed: expected.seed, observation: observation)
            let ours = env.lastObservation.map(\.bitPattern)
            guard ours == Self.bits(expected.obs) else {
                let reference = Self.bits(expected.obs); let index = ours.indices.first { $0 >= reference.count || ours[$0] != reference[$0] } ?? -1
                Issue.record("\(id) reset(seed: \(expected.seed)): observation differs first at [\(index)]: ours \(env.lastObservation), Gymnasium's \(expected.obs)")
                return
            }
            checked += 1
        }
        #expect(checked == 1000)
    }

    @Test(arguments: tasks)
    func episodesEqualGymnasiumsStepForStep(id: String) throws {
        try Self.compareEpisodes(id: id, env: try Self.make(id), arguments: [])
    }

    /// Keyword options (`env.kwargs`) give the variant Gymnasium's `gym.make(id, **kwargs)` gives.
    @Test(arguments: [
        ("Hopper-v5", #"{"ctrl_cost_weight": 0.05, "healthy_z_range": [0.5, 10], "exclude_current_positions_from_observation": false, "reset_noise_scale": 0.02}"#,
         MuJoCoOptions(["ctrl_cost_weight": .number(0.05), "healthy_z_range": .range(0.5, 10), "exclude_current_positions_from_observation": .flag(false),
                        "reset_noise_scale": .number(0.02)])),
        ("Ant-v5", #"{"include_cfrc_ext_in_observation": false, "contact_cost_weight": 0.001, "healthy_z_range": [0.3, 1.0]}"#,
         MuJoCoOptions(["include_cfrc_ext_in_observation": .flag(false), "contact_cost_weight": .number(0.001), "healthy_z_range": .range(0.3, 1)])),
        ("HalfCheetah-v5", #"{"forward_reward_weight": 2.0, "ctrl_cost_weight": 0.3}"#,
         MuJoCoOptions(["forward_reward_weight": .number(2), "ctrl_cost_weight": .number(0.3)])),
    ])
    func optionsGiveGymnasiumsVariant(id: String, kwargs: String, options: MuJoCoOptions) throws {
        var registry = EnvironmentRegistry.builtIn
        registry.replace(try #require(try MuJoCoTasks.spec(id: id, options: options)))
        let env = try #require(try registry.make(id, seed: 0) as? any DoublePrecisionObservations)
        try Self.compareEpisodes(id: id, env: env, arguments: ["--kwargs", kwargs])
        #expect { _ = try MuJoCoTasks.spec(id: id, options: MuJoCoOptions(["no_such_option": .number(1)])) } throws: {
            "\($0)".contains("\(id) option no_such_option: \(id) has no such option")
        }
    }

    static func compareEpisodes(id: String, env: any DoublePrecisionObservations, arguments: [String]) throws {
        var env = env
        let observation = UnsafeMutableBufferPointer<Float>.allocate(capacity: env.observationSpace.size)
        defer { observation.deallocate() }
        var steps = 0, terminations = 0
        for line in try Self.reference(["episodes", "--env", id, "--seed", "3", "--episodes", "10"] + arguments) {
            let episode = try JSONDecoder().decode(Episode.self, from: line)
            try env.reset(seed: episode.seed, observation: observation)
            #expect(env.lastObservation.map(\.bitPattern) == Self.bits(episode.reset_obs), "\(id) seed \(episode.seed): reset observation")
            for (t, step) in episode.steps.enumerated() {
                let result = try step.action.withUnsafeBufferPointer { try env.step(.continuous($0), observation: observation) }
                let where_ = "\(id) seed \(episode.seed) step \(t + 1)"
                guard env.lastObservation.map(\.bitPattern) == Self.bits(step.obs) else {
                    Issue.record("\(where_): observation \(env.lastObservation) differs from Gymnasium's \(step.obs)")
                    return
                }
                guard result.reward.bitPattern == Double(step.reward)!.bitPattern else {
                    Issue.record("\(where_): reward \(result.reward.hexDescription) differs from Gymnasium's \(step.reward)")
                    return
                }
                #expect(result.terminated == step.terminated && result.truncated == step.truncated, "\(where_): flags")
                if step.terminated { terminations += 1 }
                steps += 1
            }
        }
        #expect(steps >= 10)
        print("\(id): \(steps) steps bitwise equal, \(terminations) terminations")
    }
}

extension Double {
    var hexDescription: String { String(format: "%a", self) }
}
#endif
