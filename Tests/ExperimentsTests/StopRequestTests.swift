import Envs
import Experiments
import Foundation
import Learner
import Memory
import Core
import Shared
import Testing

/// The program that owns the process decides what stops a run: the library installs no signal
/// handler, and a `StopRequest` from any thread ends a run as SIGINT ends rl-train's.
@Suite struct StopRequestTests {
    /// SIGINT's and SIGTERM's handlers as they are now.
    static func handlers() -> [Int] {
        [SIGINT, SIGTERM].map { number in
            var current = sigaction()
            sigaction(number, nil, &current)
            return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
        }
    }

    /// Requests the stop from another thread once the learner has made `updates` updates, and
    /// records the signal handlers it saw while the run trained.
    final class RequestStop: Callback, @unchecked Sendable {
        let name = "request_stop"
        let stop: StopRequest
        let updates: Int
        var handlersDuringTraining: [Int]?
        init(_ stop: StopRequest, after updates: Int) {
            self.stop = stop
            self.updates = updates
        }
        func endBatch(_ batch: ReplayBatch, state: inout TrainingState) throws {
            guard state.updates + 1 == updates else { return }
            handlersDuringTraining = StopRequestTests.handlers()
            let stop = self.stop
            let requested = DispatchSemaphore(value: 0)
            Thread { stop.request(); requested.signal() }.start()
            requested.wait()
        }
    }

    @Test func aRequestedStopEndsAThreadedRunWithAFinalCheckpointAndTouchesNoSignalHandler() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=20000", "memory.min_size=300", "network.hidden=[8]", "train.eval_every=null", "eval.episodes=1",
            "collectors.count=2", "callbacks=[{checkpointer: {every: 100000}}]"])
        let directory = temporaryRunDirectory("stop-request")
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = Self.handlers()
        let stop = StopRequest()
        let requester = RequestStop(stop, after: 200)
        var options = RunOptions(directory: directory)
        options.stop = stop
        options.extraCallbacks = [requester]
        let result = try Experiment.run(config, options: options)
        #expect(result.stoppedBy == .signal)
        #expect(result.updates >= 200 && result.environmentSteps < 20_000)
        #expect(stop.count == 1)
        #expect(requester.handlersDuringTraining == before, "the run installed a signal handler")
        #expect(Self.handlers() == before)
        let checkpoint = try CheckpointLoader.loadNewest(in: directory.appendingPathComponent("checkpoints"), fallback: false)
        #expect(checkpoint.url.lastPathComponent == "checkpoint_\(String(format: "%09d", result.updates)).safetensors.gz")
        #expect(RunDirectory.readResult(in: directory) == nil, "an interrupted run is not complete")
    }

    /// A request made before the run starts ends it at once, resumable.
    @Test func aStopRequestedBeforeTheRunStartsEndsItAtOnce() throws {
        let config = try ExperimentConfig.defaults(.dqn, overrides: [
            "train.env_steps=20000", "memory.min_size=300", "network.hidden=[8]", "train.eval_every=null", "eval.episodes=1",
            "train.deterministic=true"])
        let stop = StopRequest()
        stop.request()
        var options = RunOptions()
        options.stop = stop
        let result = try Experiment.run(config, options: options)
        #expect(result.stoppedBy == .signal)
        #expect(result.updates <= 1 && result.final == nil)
    }

    /// Observers run at every request, with the count, until cancelled; one that starts after
    /// a request runs at once.
    @Test func observersSeeEveryRequestUntilCancelled() {
        let stop = StopRequest()
        let seen = Locked<[Int]>([])
        let observation = stop.observe { count in seen.withLock { $0.append(count) } }
        stop.request()
        stop.request()
        observation.cancel()
        stop.request()
        #expect(seen.withLock { $0 } == [1, 2])
        let late = Locked<[Int]>([])
        let lateObservation = stop.observe { count in late.withLock { $0.append(count) } }
        #expect(late.withLock { $0 } == [3])
        lateObservation.cancel()
    }
}
