#if Remote
import Atomics
import Collectors
import Core
import Envs
import MuJoCoEnvs
import Experiments
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Memory
import NN
import SeededRandom
import Shared

/// A collector process for a learner on another machine (`rl-train collect --learner HOST:PORT`):
/// asks the learner for its run, builds the run's collectors here (built-in, registered or
/// bridged environments), registers, then streams transitions in while the learner's newest
/// weights stream out, until the learner says the run is over.
///
///     var options = RemoteCollector.Options(learner: "10.0.0.1:50051")
///     options.collectors = 2
///     let outcome = try RemoteCollector(options).run()     // blocks; outcome.finished when the run ended
///
/// Faults: a broken connection or a restarted learner (a new epoch) is rejoined with backoff,
/// batches the learner did not acknowledge are sent again (and inserted once); a learner that
/// stays away for `patience`, refuses the collector (another run, another transition spec) or
/// breaks the protocol ends it with an error saying so.
public final class RemoteCollector: @unchecked Sendable {
    public struct Options: Sendable {
        /// The learner's address, HOST:PORT.
        public var learner: String
        /// A config the learner's run must be (its id is compared); nil: take the learner's.
        public var config: ExperimentConfig?
        /// Collector threads in this process (nil: the config's `collectors.count`, at least 1).
        public var collectors: Int?
        /// Environments per collector (nil: the config's `collectors.num_envs`).
        public var numEnvs: Int?
        /// Seed of this process's environments and exploration (nil: drawn at random).
        public var seed: UInt64?
        /// How long to keep trying to reach a learner that is away before giving up.
        public var patience: Duration = .seconds(600)
        /// Batches in flight without an acknowledgement (what a dying collector can lose).
        public var window = 1
        /// Progress lines on stderr every this many seconds (nil: none).
        public var reportEvery: Double? = 10
        public var environments: EnvironmentRegistry = .standard
        /// Ends the collection early when requested (rl-train collect requests it on SIGINT and
        /// SIGTERM): the collectors stop after their current step and the batches in flight go out.
        public var stop: StopRequest?

        public init(learner: String) { self.learner = learner }
    }

    /// How the collection ended.
    public struct Outcome: Sendable {
        /// The learner said the run is over (else this process was stopped).
        public var finished: Bool
        public var runID: String
        public var environmentSteps: Int
        public var episodes: Int
    }

    public let options: Options
    public let incarnation: UInt64
    private let statistics = RunControl()
    private let policyVersion = ManagedAtomic<Int>(-1)
    /// When the learner last acknowledged (or answered a registration): what patience is measured from.
    private let lastContact = Locked(ContinuousClock.now)
    /// A fatal error of the weights stream (a protocol violation), for the wait before acting.
    private let weightsFailure = Locked<RemoteError?>(nil)
    /// When a retry was last logged (one line per few seconds).
    private let lastRetryLog = Locked(ContinuousClock.now - .seconds(60))
    /// This process's registration with the current learner.
    private let registration = Locked<RegistrationReply?>(nil)

    public init(_ options: Options) {
        self.options = options
        var generator = SystemRandomNumberGenerator()
        incarnation = generator.next()
    }

    /// Collects over HTTP/2 (plaintext) until the run ends or a signal stops this process.
    public func run() throws -> Outcome {
        let (host, port) = try Self.parse(address: options.learner)
        let transport = try HTTP2ClientTransport.Posix(
            target: .dns(host: host, port: port), transportSecurity: .plaintext,
            config: .defaults { config in
                config.http2.targetWindowSize = CollectionServer.windowBytes
                config.http2.maxFrameSize = 1 << 20
                // Reconnect soon: a learner that restarts is back within seconds.
                config.backoff.initial = .milliseconds(20)
                config.backoff.max = .seconds(1)
            })
        let stopping = options.stop?.observe { [statistics] _ in statistics.requestStop() }
        defer { stopping?.cancel() }
        return try runBlocking { try await withGRPCClient(transport: transport) { client in try await self.collect(with: client) } }
    }

    /// Collects through `client` (any transport: the tests use gRPC's in-process one).
    public func collect<Transport: ClientTransport>(with client: GRPCClient<Transport>) async throws -> Outcome {
        let description = try await describe(client)
        let config = try ExperimentConfig.parse(description.configYAML, source: "the config of the learner at \(options.learner)",
                                                environments: options.environments)
        guard config.id == description.runID else {
            throw RemoteError.protocolViolation("the learner's config hashes to run \(config.id8), it says it runs \(description.runID.prefix(8))")
        }
        if let expected = options.config, expected.id != config.id {
            throw RemoteError.refused(learner: options.learner, detail: "it runs \(config.runName)-\(config.id8); this collector's config is \(expected.runName)-\(expected.id8)")
        }
        let setup = try RemoteCollectionSetup(config, environments: options.environments)
        try await register(client, runID: config.id, spec: setup.spec)
        let threads = options.collectors ?? max(1, config[CollectorsKeys.count])
        let seed = options.seed ?? incarnation
        let queue = BatchQueue(window: options.window)
        let episodes = statistics.subscribeEpisodes()
        let maxBatch = Int(registration.withLock { $0?.maxBatchTransitions ?? 1 })
        let collectors = try (0..<threads).map { c in
            try setup.makeCollector(seed: deriveSeed(seed, 21, UInt64(c)), numEnvs: options.numEnvs,
                                    writer: RemoteWriter(spec: setup.spec, queue: queue, statistics: statistics, episodes: episodes, policyVersion: policyVersion,
                                                         maxTransitions: maxBatch),
                                    statistics: statistics)
        }
        let numEnvs = options.numEnvs ?? config[CollectorsKeys.environments]
        log("collecting for run \(config.runName)-\(config.id8) as collector \(registration.withLock { $0?.collector ?? 0 }): \(threads) threads × \(numEnvs) \(config[EnvKeys.id])")

        let (weights, spec, runID) = (setup.weights, setup.spec, config.id)
        let ending: BatchQueue.Ending = try await withThrowingTaskGroup(of: BatchQueue.Ending?.self) { group in
            group.addTask { try await self.receiveWeights(client, into: weights, queue: queue); return nil }
            // Act only with the learner's weights.
            while policyVersion.load(ordering: .relaxed) < 0 {
                try await Task.sleep(for: .milliseconds(5))
                if let failure = weightsFailure.withLock({ $0 }) { throw failure }
                try checkPatience()
                if statistics.stopRequested { queue.end(.stopped); break }
            }
            for collector in collectors { collector.start() }
            group.addTask { try await self.send(client, queue: queue, runID: runID, spec: spec); return queue.ending }
            group.addTask {
                // Ends the queue when this process stops (a signal, a collector's error).
                var reported = ContinuousClock.now, reportedSteps = 0
                while queue.ending == nil {
                    if self.statistics.stopRequested || self.statistics.error != nil { queue.end(.stopped) }
                    try? await Task.sleep(for: .milliseconds(50))
                    if let every = self.options.reportEvery, ContinuousClock.now - reported >= .seconds(every) {
                        let steps = self.statistics.environmentSteps
                        self.log("learner at \(steps) steps, weights v\(self.policyVersion.load(ordering: .relaxed)), "
                                 + String(format: "%.0f", Double(steps - reportedSteps) / every) + " steps/s overall, \(queue.outstanding) batches in flight")
                        reported = .now
                        reportedSteps = steps
                    }
                }
                return queue.ending
            }
            var ending: BatchQueue.Ending = .stopped
            do {
                while let result = try await group.next() {
                    if let result { ending = result; break }
                }
            } catch {
                queue.end(.stopped)
                statistics.requestStop()
                group.cancelAll()
                for collector in collectors { collector.join() }
                throw error
            }
            queue.end(ending)
            statistics.requestStop()
            group.cancelAll()
            return ending
        }
        for collector in collectors { collector.join() }
        if let error = statistics.error { throw RemoteError.collectorFailed(error) }
        log(ending == .finished ? "the learner finished the run" : "stopped")
        return Outcome(finished: ending == .finished, runID: config.id, environmentSteps: statistics.environmentSteps,
                       episodes: statistics.episodes)
    }

    // MARK: Calls

    private func describe<T: ClientTransport>(_ client: GRPCClient<T>) async throws -> RunDescription {
        try await retrying("describe the run") {
            try await client.unary(request: ClientRequest(message: DescribeRequest()), descriptor: CollectionService.describe,
                                   serializer: WireCoder<DescribeRequest>(), deserializer: WireCoder<RunDescription>(),
                                   options: self.callOptions) { try $0.message }
        }
    }

    private func register<T: ClientTransport>(_ client: GRPCClient<T>, runID: String, spec: TransitionSpec) async throws {
        let name = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        let reply = try await retrying("register") {
            try await client.unary(request: ClientRequest(message: Registration(runID: runID, incarnation: self.incarnation, spec: spec, name: name)),
                                   descriptor: CollectionService.register, serializer: WireCoder<Registration>(),
                                   deserializer: WireCoder<RegistrationReply>(), options: self.callOptions) { try $0.message }
        }
        guard (1...65_536).contains(reply.maxBatchTransitions) else {
            throw RemoteError.protocolViolation("the learner allows batches of \(reply.maxBatchTransitions) transitions (1 to 65536 make sense)")
        }
        registration.withLock { $0 = reply }
    }

    /// Streams batches until the queue ends, reconnecting (and registering again with a new learner) as needed.
    private func send<T: ClientTransport>(_ client: GRPCClient<T>, queue: BatchQueue, runID: String, spec: TransitionSpec) async throws {
        var backoff = Self.firstBackoff
        while queue.ending == nil {
            guard let epoch = registration.withLock({ $0?.epoch }) else { throw RemoteError.protocolViolation("not registered") }
            do {
                let incarnation = self.incarnation
                try await client.bidirectionalStreaming(
                    request: StreamingClientRequest(of: TransitionBatch.self) { writer in
                        while var batch = await queue.next() {
                            batch.epoch = epoch
                            batch.incarnation = incarnation
                            try await writer.write(batch)
                        }
                    },
                    descriptor: CollectionService.insert, serializer: WireCoder<TransitionBatch>(), deserializer: WireCoder<Acknowledgement>(),
                    options: callOptions
                ) { response in
                    for try await acknowledgement in response.messages {
                        self.lastContact.withLock { $0 = .now }
                        queue.acknowledge(acknowledgement.sequence)
                        self.statistics.setEnvironmentSteps(Int(acknowledgement.environmentSteps))
                        if acknowledgement.finished {
                            queue.end(.finished)
                            return
                        }
                    }
                }
                backoff = Self.firstBackoff
            } catch {
                if queue.ending != nil { return }
                queue.resendUnacknowledged()
                if let rpc = error as? RPCError {
                    switch rpc.code {
                    case .invalidArgument, .unimplemented, .resourceExhausted:
                        throw RemoteError.refused(learner: options.learner, detail: rpc.message)
                    case .failedPrecondition:
                        // A new learner (it restarted from its checkpoint): join it, if it still runs our run.
                        log("rejoining: \(rpc.message)")
                        let description = try await describe(client)
                        guard description.runID == runID else {
                            throw RemoteError.refused(learner: options.learner, detail: "it now runs \(description.runID.prefix(8)), not \(runID.prefix(8))")
                        }
                        try await register(client, runID: runID, spec: spec)
                        if registration.withLock({ $0?.epoch }) != epoch {
                            // Another learner: its versions count from its own start, so ours mean nothing there.
                            policyVersion.store(-1, ordering: .relaxed)
                        }
                        queue.dropBefore(registration.withLock { $0?.nextSequence ?? 0 })
                        continue
                    default: break
                    }
                }
                logRetry("sending batches", error)
                try checkPatience(lastError: "\(error)")
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, Self.maxBackoff)
            }
        }
    }

    /// Publishes the learner's weights into the process's publisher as they come.
    private func receiveWeights<T: ClientTransport>(_ client: GRPCClient<T>, into weights: WeightPublisher, queue: BatchQueue) async throws {
        let expected = weights.latest(newerThan: -1)!.parameters.count
        while queue.ending == nil, !Task.isCancelled {
            guard let epoch = registration.withLock({ $0?.epoch }) else { return }
            do {
                let incarnation = self.incarnation
                let asks = AsyncStream<Int64>.makeStream()
                asks.continuation.yield(Int64(policyVersion.load(ordering: .relaxed)))
                defer { asks.continuation.finish() }
                try await client.bidirectionalStreaming(
                    request: StreamingClientRequest(of: WeightsRequest.self) { writer in
                        for await have in asks.stream { try await writer.write(WeightsRequest(epoch: epoch, incarnation: incarnation, have: have)) }
                    },
                    descriptor: CollectionService.weights,
                    serializer: WireCoder<WeightsRequest>(), deserializer: WireCoder<WeightsSnapshot>(), options: weightsCallOptions
                ) { response in
                    for try await snapshot in response.messages {
                        guard snapshot.parameters.count == expected else {
                            throw RemoteError.protocolViolation("the learner sent \(snapshot.parameters.count) weights; this run's acting network has \(expected)")
                        }
                        guard snapshot.parameters.allSatisfy(\.isFinite) else {
                            throw RemoteError.protocolViolation("the learner sent weights version \(snapshot.version) with non-finite values")
                        }
                        weights.publish(parameters: snapshot.parameters)
                        self.policyVersion.store(Int(snapshot.version), ordering: .relaxed)
                        asks.continuation.yield(snapshot.version)
                    }
                    asks.continuation.finish()
                }
            } catch let error as RemoteError {
                weightsFailure.withLock { $0 = error }
                throw error
            } catch {
                // The sender rejoins a new learner; this stream follows its registration.
                if !Task.isCancelled, queue.ending == nil { logRetry("receiving weights", error) }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: Helpers

    /// Waits between attempts to reach the learner: doubling from 10 ms to 1 s.
    private static let firstBackoff = Duration.milliseconds(10)
    private static let maxBackoff = Duration.seconds(1)

    private var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.waitForReady = false   // fail fast while the learner is away; the loops back off and retry
        return options
    }

    private var weightsCallOptions: CallOptions {
        var options = callOptions
        // Weights of large networks: both limits, as the transport reads one or the other per direction.
        options.maxResponseMessageBytes = 1 << 30
        options.maxRequestMessageBytes = 1 << 30
        return options
    }

    /// Runs `call` until it succeeds, backing off while the learner is unreachable; a refusal
    /// (`failedPrecondition`, `invalidArgument`) is final.
    private func retrying<R>(_ what: String, _ call: () async throws -> R) async throws -> R {
        var backoff = Self.firstBackoff
        while true {
            do {
                let result = try await call()
                lastContact.withLock { $0 = .now }
                return result
            } catch let error as RPCError where [.failedPrecondition, .invalidArgument, .unimplemented].contains(error.code) {
                throw RemoteError.refused(learner: options.learner, detail: error.message)
            } catch let error as RemoteError {
                throw error
            } catch {
                if statistics.stopRequested { throw RemoteError.stopped }
                logRetry(what, error)
                try checkPatience(lastError: "\(error)")
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, Self.maxBackoff)
            }
        }
    }

    /// Says why the learner cannot be reached, once every few seconds.
    private func logRetry(_ what: String, _ error: any Error) {
        let due = lastRetryLog.withLock { last -> Bool in
            guard ContinuousClock.now - last >= .seconds(5) else { return false }
            last = .now
            return true
        }
        if due { log("retrying (\(what)): \(error)") }
    }

    private func checkPatience(lastError: String = "no weights yet") throws {
        let since = lastContact.withLock { ContinuousClock.now - $0 }
        if since > options.patience {
            let seconds = since / .seconds(1)
            throw RemoteError.learnerGone(learner: options.learner, seconds: seconds, lastError: lastError)
        }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data(("[collect] " + line + "\n").utf8))
    }

    public static func parse(address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65_535).contains(port),
              colon != address.startIndex else {
            throw RemoteError.badAddress(address)
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
#endif
