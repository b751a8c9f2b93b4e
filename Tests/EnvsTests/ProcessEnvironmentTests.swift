import Foundation
import Testing
@testable import Envs

/// The out-of-process bridge against the Python side (python/swiftrl_bridge.py): a corridor in
/// plain Python (standard library only), its deliberate failures, and Gymnasium's own CartPole
/// against the built-in one.
@Suite struct ProcessEnvironmentTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = ProcessInfo.processInfo.environment["RL_PYTHON"] ?? "python3"
    static func corridor(_ flags: String...) -> [String] {
        [python, repository.appendingPathComponent("python/examples/corridor.py").path] + flags
    }

    /// A two-environment vector over the corridor with `flags`, registered as "Corridor-py".
    static func vector(_ flags: [String] = [], count: Int = 2, timeout: Double = 60) throws -> VectorEnvironment {
        var registry = EnvironmentRegistry.builtIn
        try registry.register(try EnvironmentSpec.bridge(id: "Corridor-py", command: [python, repository.appendingPathComponent("python/examples/corridor.py").path] + flags,
                                                          maxEpisodeSteps: 50, timeout: timeout))
        return try VectorEnvironment(registry: registry, id: "Corridor-py", count: count, seed: 7)
    }

    @Test func theSpacesComeFromTheFirstLine() throws {
        let spaces = try BridgeSpaces.probe(command: Self.corridor())
        #expect(spaces.observation == Box(low: [0, 0], high: [1, 1]))
        #expect(spaces.action == .discrete(Discrete(2)))
    }

    @Test func stepsFollowThePythonDynamicsAndSeedsRepeat() throws {
        let spaces = try BridgeSpaces.probe(command: Self.corridor())
        var env = ProcessEnvironment(command: Self.corridor(), spaces: spaces)
        var first = [Float](repeating: -1, count: 2), again = first
        try first.withUnsafeMutableBufferPointer { try env.reset(seed: 3, observation: $0) }
        try again.withUnsafeMutableBufferPointer { try env.reset(seed: 3, observation: $0) }
        #expect(first == again)   // the same seed, the same start
        var position = Int((first[0] * 9).rounded())
        var obs = [Float](repeating: 0, count: 2)
        // Walk right to the end: each step moves one cell, costs 0.01, and the last one pays 1 and terminates.
        while true {
            let result = try obs.withUnsafeMutableBufferPointer { try env.step(.discrete(1), observation: $0) }
            position += 1
            #expect(obs[0] == Float(position) / 9)
            if position == 9 {
                #expect(result == StepResult(reward: 1, terminated: true))
                break
            }
            #expect(result == StepResult(reward: -0.01, terminated: false))
        }
        // Left from the start of a fresh episode reaches the wall: the second component says so.
        try obs.withUnsafeMutableBufferPointer { try env.reset(seed: nil, observation: $0) }
        for _ in 0..<9 { _ = try obs.withUnsafeMutableBufferPointer { try env.step(.discrete(0), observation: $0) } }
        #expect(obs == [0, 1])
    }

    @Test func aVectorOfProcessesRunsEpisodesWithAutoReset() throws {
        let vec = try Self.vector()
        try vec.reset()
        var rng = SystemRandomNumberGenerator()
        var finished = 0
        var actions = [Int](repeating: 0, count: vec.count)
        for _ in 0..<400 {
            for i in actions.indices { actions[i] = Int.random(in: 0...1, using: &rng) }
            try actions.withUnsafeBufferPointer { try vec.step(.discrete($0)) }
            for i in 0..<vec.count where vec.isDone(i) {
                finished += 1
                let length = vec.completedLengths[i], episodeReturn = vec.completedReturns[i]
                if vec.terminated[i] {
                    #expect(abs(episodeReturn - (1 - 0.01 * Double(length - 1))) < 1e-9)
                } else {
                    #expect(length == 50)   // the registry's time limit
                }
            }
        }
        #expect(finished > 0)
    }

    /// A vector of processes sends every action before it reads the first answer
    /// (`OverlappedStepping`); that must give exactly what stepping each environment alone gives.
    @Test func overlappedSteppingMatchesSteppingEachEnvironmentAlone() throws {
        let vec = try Self.vector(count: 3)
        #expect(vec.overlapsSteps)
        try vec.reset()
        let spaces = try BridgeSpaces.probe(command: Self.corridor())
        var alone = (0..<3).map { ProcessEnvironment(command: Self.corridor(), spaces: spaces, seed: 7 + UInt64($0)) }
        var obs = [Float](repeating: 0, count: 2)
        for i in 0..<3 {
            try obs.withUnsafeMutableBufferPointer { try alone[i].reset(seed: nil, observation: $0) }
            #expect(Array(vec.observation(i)) == obs)
        }
        var lcg: UInt64 = 99
        for _ in 0..<60 {
            var actions = [Int](repeating: 0, count: 3)
            for i in 0..<3 { lcg = lcg &* 6364136223846793005 &+ 1442695040888963407; actions[i] = lcg >> 62 == 0 ? 0 : 1 }
            try actions.withUnsafeBufferPointer { try vec.step(.discrete($0)) }
            for i in 0..<3 {
                let result = try obs.withUnsafeMutableBufferPointer { try alone[i].step(.discrete(actions[i]), observation: $0) }
                #expect(vec.rewards[i] == result.reward && vec.terminated[i] == result.terminated)
                if result.isDone {
                    #expect(Array(vec.finalObservation(i)) == obs)
                    try obs.withUnsafeMutableBufferPointer { try alone[i].reset(seed: nil, observation: $0) }
                }
                #expect(Array(vec.observation(i)) == obs)
            }
        }
    }

    /// `rl-train demo -- COMMAND` steps a bridged environment with random actions: the quick
    /// check a user runs on a new environment.
    @Test func theDemoCommandStepsABridgedEnvironment() throws {
        guard let executable = builtRLTrain() else { return }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["demo", "--steps", "300", "--num-envs", "2", "--max-episode-steps", "40", "--"] + Self.corridor()
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("action Discrete(2), time limit 40"), "\(text)")
        #expect(text.contains("bridged") && text.contains("episodes"), "\(text)")
    }

    @Test func printingToStandardOutputDoesNotBreakTheProtocol() throws {
        let vec = try Self.vector(["--print"], count: 1)
        try vec.reset()
        for _ in 0..<20 { try [1].withUnsafeBufferPointer { try vec.step(.discrete($0)) } }
        #expect(vec.totalSteps == 20)
    }

    @Test func anExceptionInTheEnvironmentNamesTheEnvironmentStepAndTraceback() throws {
        let vec = try Self.vector(["--raise-at", "3"])
        try vec.reset()
        do {
            for _ in 0..<5 { try [0, 1].withUnsafeBufferPointer { try vec.step(.discrete($0)) } }
            Issue.record("the corridor's exception did not surface")
        } catch let error as EnvironmentError {
            guard case let .stepFailed(environment, index, step, underlying) = error else {
                Issue.record("unexpected error \(error)"); return
            }
            #expect(environment == "Corridor-py" && index == 0 && step == 3)
            #expect(underlying.contains("RuntimeError: the corridor collapsed at step 3"))
            #expect(underlying.contains("corridor.py"))   // the traceback names the file
        }
        // Environment 1's answer to that step was never read; the next request must not take
        // it for its own. After a reset both environments step normally again.
        try vec.reset()
        let start = (0..<2).map { vec.observation($0)[0] }
        try [1, 1].withUnsafeBufferPointer { try vec.step(.discrete($0)) }
        for i in 0..<2 where !vec.isDone(i) { #expect(abs(vec.observation(i)[0] - (start[i] + 1.0 / 9)) < 1e-6) }
    }

    @Test func aProcessThatDiesIsReportedWithItsExitStatus() throws {
        let vec = try Self.vector(["--exit-at", "2"], count: 1)
        try vec.reset()
        let error = try #require(throws: EnvironmentError.self) {
            for _ in 0..<3 { try [1].withUnsafeBufferPointer { try vec.step(.discrete($0)) } }
        }
        #expect("\(error)".contains("exited with status 3"), "\(error)")
        #expect("\(error)".contains("at step 2"), "\(error)")
        // A step does not silently start a new process; a reset does.
        let again = try #require(throws: EnvironmentError.self) { try [1].withUnsafeBufferPointer { try vec.step(.discrete($0)) } }
        #expect("\(again)".contains("reset to start a new one"), "\(again)")
        try vec.reset()
        try [1].withUnsafeBufferPointer { try vec.step(.discrete($0)) }
    }

    @Test func aNaNObservationIsCaughtByTheVector() throws {
        let vec = try Self.vector(["--nan-at", "2"])
        try vec.reset()
        let error = try #require(throws: EnvironmentError.self) {
            for _ in 0..<3 { try [1, 1].withUnsafeBufferPointer { try vec.step(.discrete($0)) } }
        }
        guard case .nonFiniteOutput(_, _, let step, _) = error else { Issue.record("unexpected \(error)"); return }
        #expect(step == 2)
    }

    /// A flag byte other than 0 or 1 is a protocol error naming the field, and the process is
    /// stopped (its byte stream cannot be trusted), not a terminated episode.
    @Test func aFlagByteOtherThanZeroOrOneIsAProtocolError() throws {
        let vec = try Self.vector(["--bad-flag-at", "2"], count: 1)
        try vec.reset()
        try [1].withUnsafeBufferPointer { try vec.step(.discrete($0)) }
        let error = try #require(throws: (any Error).self) { try [1].withUnsafeBufferPointer { try vec.step(.discrete($0)) } }
        #expect("\(error)".contains("the terminated flag is 7, not 0 or 1") && "\(error)".contains("process was stopped"), "\(error)")
    }

    @Test func aProcessThatStopsAnsweringTimesOut() throws {
        // The process sleeps for an hour. The step runs on a thread of its own so that a broken
        // timeout fails here (after a bound far above 1 s) instead of hanging the suite.
        let vec = try Self.vector(["--hang-at", "1"], count: 1, timeout: 1)
        try vec.reset()
        let answered = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: (any Error)?
        let handed = UncheckedBox(vec)
        Thread {
            do { try [1].withUnsafeBufferPointer { try handed.value.step(.discrete($0)) } } catch { outcome = error }
            answered.signal()
        }.start()
        guard answered.wait(timeout: .now() + 120) == .success else {
            Issue.record("a step of a hung environment process did not time out within 120 s (its timeout is 1 s)")
            return
        }
        let error = try #require(outcome as? EnvironmentError, "the step of a hung process returned without an error")
        #expect("\(error)".contains("no answer within 1.0 s"), "\(error)")
    }

    @Test func aMalformedFirstLineOrAMissingCommandFailsAtRegistration() throws {
        let malformed = try #require(throws: BridgeError.self) { try BridgeSpaces.probe(command: Self.corridor("--bad-first-line")) }
        #expect(malformed.detail.contains("hello, I am not JSON"))
        let missing = try #require(throws: BridgeError.self) { try BridgeSpaces.probe(command: ["/nonexistent/interpreter"]) }
        #expect(missing.detail.contains("exited with status 127"), "\(missing)")
    }

    @Test func anObservationOfTheWrongSizeIsAnError() throws {
        let spaces = BridgeSpaces(observation: Box(low: [0, 0], high: [1, 1]), action: .discrete(Discrete(2)))
        var env = ProcessEnvironment(command: Self.corridor("--wrong-size"), spaces: spaces)
        var obs = [Float](repeating: 0, count: 2)
        let error = try #require(throws: BridgeError.self) { try obs.withUnsafeMutableBufferPointer { try env.reset(seed: 1, observation: $0) } }
        #expect(error.detail.contains("the observation has 1 values; the observation space has 2"), "\(error)")
        // A bad action never reaches the process.
        #expect(throws: EnvironmentError.self) { try obs.withUnsafeMutableBufferPointer { _ = try env.step(.discrete(2), observation: $0) } }
    }

    /// Gymnasium's CartPole served over the bridge steps as the built-in one: the built-in is
    /// put in the state the bridged one reset to (as read from its float32 observation), and
    /// both take the same actions. Gymnasium's state stays float64, so the observations agree
    /// to float32 rounding carried through the dynamics, not bit for bit (the bit-exact check of
    /// the dynamics is ReferenceTrajectoryTests); rewards and episode ends agree exactly.
    @Test func gymnasiumsCartPoleOverTheBridgeStepsAsTheBuiltInOne() throws {
        let command = [Self.python, Self.repository.appendingPathComponent("python/examples/gymnasium_env.py").path, "CartPole-v1"]
        let spaces = try BridgeSpaces.probe(command: command)
        var bridged = ProcessEnvironment(command: command, spaces: spaces)
        var builtIn = CartPole(seed: 0)
        #expect(spaces.observation == builtIn.observationSpace && spaces.action == builtIn.actionSpace)
        #expect(spaces.maxEpisodeSteps == 500)   // Gymnasium's registered limit, announced
        var a = [Float](repeating: 0, count: 4), b = a
        var lcg: UInt64 = 12345
        var steps = 0, worst: Float = 0
        for episode in 0..<3 {
            try a.withUnsafeMutableBufferPointer { try bridged.reset(seed: UInt64(100 + episode), observation: $0) }
            try b.withUnsafeMutableBufferPointer { try builtIn.reset(seed: 0, observation: $0) }
            try builtIn.overrideState(a.map(Double.init))
            while true {
                lcg = lcg &* 6364136223846793005 &+ 1442695040888963407
                let action = Action.discrete(Int(lcg >> 63))
                let ra = try a.withUnsafeMutableBufferPointer { try bridged.step(action, observation: $0) }
                let rb = try b.withUnsafeMutableBufferPointer { try builtIn.step(action, observation: $0) }
                steps += 1
                worst = max(worst, zip(a, b).map { abs($0 - $1) }.max()!)
                #expect(ra == rb)
                if ra.isDone || rb.isDone { break }
            }
        }
        #expect(worst < 1e-5, "largest observation difference \(worst)")
        #expect(steps > 20)
    }
}

/// A value handed to one other thread by a test that knows only that thread uses it meanwhile.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Announced spaces are checked at the handshake: sizes that no network or memory could hold,
/// NaN bounds and low above high are refused, naming the key and the value (issue 29: an
/// announced `"n": 1000000000000000` once made DQN abort in malloc). Swift environments get the
/// same checks when a vector of them is made.
@Suite struct AnnouncedSpaceTests {
    func parse(_ json: String) throws -> BridgeSpaces { try BridgeSpaces.parse(Data(json.utf8), name: "hostile.py") }

    @Test func absurdOrInconsistentSpacesAreRefused() throws {
        let good = #"{"protocol": 1, "observation": {"low": [0, 0], "high": [1, 1]}, "action": {"n": 2}}"#
        #expect(try parse(good).action == .discrete(Discrete(2)))
        #expect { try parse(#"{"protocol": 1, "observation": {"low": [0], "high": [1]}, "action": {"n": 1000000000000000}}"#) } throws: {
            "\($0)".contains("action.n is 1000000000000000; at most 65536")
        }
        #expect { try parse(#"{"protocol": 1, "observation": {"low": [0], "high": [1]}, "action": {"n": 2.5}}"#) } throws: { "\($0)".contains("positive integer") }
        #expect { try parse(#"{"protocol": 1, "observation": {"low": [0, 2], "high": [1, 1]}, "action": {"n": 2}}"#) } throws: {
            "\($0)".contains("observation bound 1 has low 2.0 above high 1.0")
        }
        #expect { try parse(#"{"protocol": 1, "observation": {"low": ["nan"], "high": [1]}, "action": {"n": 2}}"#) } throws: { "\($0)".contains("observation bound 0 is NaN") }
        #expect { try parse(#"{"protocol": 1, "observation": {"low": [0], "high": [1]}, "action": {"low": [1], "high": [-1]}}"#) } throws: {
            "\($0)".contains("action bound 0 has low 1.0 above high -1.0")
        }
        let wide = "[" + Array(repeating: "0", count: 70_000).joined(separator: ",") + "]"
        #expect { try parse(#"{"protocol": 1, "observation": {"low": \#(wide), "high": \#(wide)}, "action": {"n": 2}}"#) } throws: {
            "\($0)".contains("observation space has 70000 components")
        }
    }

    struct Huge: Environment {
        let observationSpace = Box(low: 0, high: 1, shape: [2])
        let actionSpace = Space.discrete(Discrete(1 << 40))
        mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {}
        mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult { StepResult(reward: 0, terminated: true) }
    }

    @Test func aSwiftEnvironmentWithAnAbsurdSpaceIsRefusedToo() throws {
        #expect { _ = try VectorEnvironment(environments: [Huge()], id: "Huge-v0") } throws: {
            "\($0)".contains("Discrete(1099511627776) has more than 65536 choices")
        }
    }
}
