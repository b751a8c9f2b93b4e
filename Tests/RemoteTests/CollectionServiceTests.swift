#if Remote
import Collectors
import Core
import Experiments
import Foundation
import GRPCCore
import GRPCInProcessTransport
import Learner
import Memory
import NN
@testable import Remote
import SeededRandom
import Shared
import Testing

/// The collection service over gRPC's in-process transport: registration, checked and
/// exactly-once inserts, backpressure from the rate limiter, weights streaming only the newest
/// version, and a whole run fed by a remote collector.
@Suite(.serialized) struct CollectionServiceTests {
    static let spec = TransitionSpec(observationSize: 4, action: .discrete(n: 2))

    struct Served: @unchecked Sendable {
        let server: CollectionServer
        let client: GRPCClient<InProcessTransport.Client>
        let table: ReplayTable
        let statistics: RunControl
        let weights: WeightPublisher
        let network: MLP
        let config: ExperimentConfig
    }

    /// Serves a DQN CartPole run's memory (no learner) and calls `body` with a client of it.
    func withService(rateLimit: RateLimit? = nil, _ body: @Sendable (Served) async throws -> Void) async throws {
        let config = try ExperimentConfig.defaults(.dqn)
        let table = try ReplayTable(spec: Self.spec, capacity: 10_000, rateLimit: rateLimit)
        var rng = Xoshiro256(seed: 1)
        let network = MLP(sizes: [4, 8, 2], activation: .relu, initializer: .pytorchDefault, rng: &rng)
        let weights = WeightPublisher(initial: network)
        let statistics = RunControl()
        let transport = InProcessTransport()
        let server = CollectionServer(listening: .inProcess(transport.server), maxBatchTransitions: 64)
        server.log = { _ in }
        try server.start(ServedRun(config: config, table: table, statistics: statistics, weights: weights))
        try await withGRPCClient(transport: transport.client) { client in
            try await body(Served(server: server, client: client, table: table, statistics: statistics, weights: weights, network: network, config: config))
        }
        await onThread { server.stop(finished: false) }   // no collector process waits for "finished" here
    }

    func describe(_ s: Served) async throws -> RunDescription {
        try await s.client.unary(request: ClientRequest(message: DescribeRequest()), descriptor: CollectionService.describe,
                                 serializer: WireCoder<DescribeRequest>(), deserializer: WireCoder<RunDescription>(), options: .defaults) { try $0.message }
    }

    func register(_ s: Served, runID: String? = nil, spec: TransitionSpec = spec, incarnation: UInt64 = 1) async throws -> RegistrationReply {
        try await s.client.unary(request: ClientRequest(message: Registration(runID: runID ?? s.config.id, incarnation: incarnation, spec: spec, name: "test")),
                                 descriptor: CollectionService.register, serializer: WireCoder<Registration>(),
                                 deserializer: WireCoder<RegistrationReply>(), options: .defaults) { try $0.message }
    }

    /// A batch of `count` CartPole-shaped rows (optionally with a NaN reward in the last).
    func batch(epoch: UInt64, incarnation: UInt64 = 1, sequence: UInt64, count: Int, nan: Bool = false, width: Int? = nil) -> TransitionBatch {
        let rows = TransitionRows(spec: Self.spec)
        var bytes: [UInt8] = []
        let observation: [Float] = [0.1, 0.2, 0.3, 0.4]
        observation.withUnsafeBufferPointer { o in
            for i in 0..<count {
                rows.append(TransitionView(observation: o, actionIndex: Int32(i % 2), reward: nan && i == count - 1 ? .nan : 1,
                                           terminated: false, nextObservation: o), to: &bytes)
            }
        }
        return TransitionBatch(epoch: epoch, incarnation: incarnation, sequence: sequence, policyVersion: 0, count: count,
                               width: width ?? rows.width, episodes: [EpisodeReport(return: 9, length: 9)],
                               rows: width.map { Array(repeating: 0, count: count * $0 * 4) } ?? bytes)
    }

    /// Sends `batches` on one Insert stream and returns the acknowledgements, or the stream's error.
    func insert(_ s: Served, _ batches: [TransitionBatch]) async throws -> [Acknowledgement] {
        try await s.client.bidirectionalStreaming(
            request: StreamingClientRequest(of: TransitionBatch.self) { writer in for b in batches { try await writer.write(b) } },
            descriptor: CollectionService.insert, serializer: WireCoder<TransitionBatch>(), deserializer: WireCoder<Acknowledgement>(),
            options: .defaults) { response in
            var acknowledgements: [Acknowledgement] = []
            for try await ack in response.messages { acknowledgements.append(ack) }
            return acknowledgements
        }
    }

    func rpcError(_ body: () async throws -> Void) async -> RPCError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? RPCError
        }
    }

    @Test func registrationChecksTheRunAndTheSpec() async throws {
        try await withService { s in
            let description = try await describe(s)
            #expect(description.runID == s.config.id)
            #expect(try ExperimentConfig.parse(description.configYAML).id == s.config.id)
            let wrongRun = await rpcError { _ = try await register(s, runID: "0123456789abcdef") }
            #expect(wrongRun?.code == .failedPrecondition)
            #expect(wrongRun?.message.contains(s.config.id8) == true && wrongRun?.message.contains("0123456789abcdef") == true)
            let wrongSpec = await rpcError { _ = try await register(s, spec: TransitionSpec(observationSize: 3, action: .discrete(n: 2))) }
            #expect(wrongSpec?.code == .failedPrecondition)
            #expect(wrongSpec?.message.contains("memory holds") == true)
            let first = try await register(s)
            #expect(first.collector == 1 && first.nextSequence == 0 && first.epoch == s.server.epoch && first.maxBatchTransitions == 64)
            #expect(try await register(s).collector == 1)   // the same incarnation reconnecting
            #expect(try await register(s, incarnation: 2).collector == 2)
        }
    }

    @Test func batchesAreCheckedThenInsertedExactlyOnce() async throws {
        try await withService { s in
            let epoch = try await register(s).epoch
            let acks = try await insert(s, [batch(epoch: epoch, sequence: 0, count: 5), batch(epoch: epoch, sequence: 1, count: 3)])
            #expect(acks.map(\.sequence) == [0, 1] && acks.allSatisfy { !$0.finished })
            #expect(s.table.count == 8 && s.statistics.environmentSteps == 8 && s.statistics.episodes == 2)
            #expect(acks.last?.environmentSteps == 8)
            // Sent again after a reconnection: acknowledged, not inserted twice.
            let again = try await insert(s, [batch(epoch: epoch, sequence: 1, count: 3), batch(epoch: epoch, sequence: 2, count: 2)])
            #expect(again.map(\.sequence) == [1, 2] && s.table.count == 10)
            // A NaN, rows of the wrong width, too many rows: refused whole, nothing inserted.
            let nan = await rpcError { _ = try await insert(s, [batch(epoch: epoch, sequence: 3, count: 4, nan: true)]) }
            #expect(nan?.code == .invalidArgument)
            #expect(nan?.message == "collector 1's batch 3: row 3: reward[0] is nan")
            let wide = await rpcError { _ = try await insert(s, [batch(epoch: epoch, sequence: 4, count: 2, width: 12)]) }
            #expect(wide?.code == .invalidArgument && wide?.message.contains("rows of 12 words") == true)
            let big = await rpcError { _ = try await insert(s, [batch(epoch: epoch, sequence: 5, count: 65)]) }
            #expect(big?.code == .invalidArgument && big?.message.contains("at most 64") == true)
            #expect(s.table.count == 10 && s.statistics.environmentSteps == 10)
            // Not registered, or registered with another learner: register again.
            let stranger = await rpcError { _ = try await insert(s, [batch(epoch: epoch, incarnation: 99, sequence: 0, count: 1)]) }
            #expect(stranger?.code == .failedPrecondition && stranger?.message.contains("register first") == true)
            let oldEpoch = await rpcError { _ = try await insert(s, [batch(epoch: epoch &+ 1, sequence: 6, count: 1)]) }
            #expect(oldEpoch?.code == .failedPrecondition && oldEpoch?.message.contains("register again") == true)
            // The last sequence number cannot be followed: refused, not a crash of the learner.
            let last = await rpcError { _ = try await insert(s, [batch(epoch: epoch, sequence: UInt64.max, count: 1)]) }
            #expect(last?.code == .invalidArgument && last?.message.contains("sequence numbers end") == true)
            #expect(s.server.metrics().first { $0.0 == "remote_refused" }?.1 == 4)
        }
    }

    @Test func insertsWaitForTheRateLimiter() async throws {
        // Inserts may lead samples by at most 8: two batches of 4 go in, the third waits for the learner.
        try await withService(rateLimit: try RateLimit(samplesPerInsert: 1, minSizeToSample: 4, errorBuffer: 4)) { s in
            let epoch = try await register(s).epoch
            let acks = Locked<[UInt64]>([])
            let release = AsyncStream<Void>.makeStream()
            let call = Task {
                try await s.client.bidirectionalStreaming(
                    request: StreamingClientRequest(of: TransitionBatch.self) { writer in
                        for sequence in 0..<3 { try await writer.write(batch(epoch: epoch, sequence: UInt64(sequence), count: 4)) }
                        for await _ in release.stream { break }
                    },
                    descriptor: CollectionService.insert, serializer: WireCoder<TransitionBatch>(), deserializer: WireCoder<Acknowledgement>(),
                    options: .defaults) { response in
                    for try await ack in response.messages { acks.withLock { $0.append(ack.sequence) } }
                }
            }
            func waitFor(_ n: Int) async throws {
                try await waitUntil("\(n) batches are acknowledged") { acks.withLock({ $0.count }) >= n }
            }
            try await waitFor(2)
            // The third batch's stream waits for the learner's next update: it was held back.
            try await waitUntil("the third batch waits for the learner") { s.server.signal.hasUpdateWaiters }
            #expect(acks.withLock { $0 } == [0, 1])
            #expect(s.table.insertCount == 8 && s.table.rateLimitedInserts >= 1)
            // The learner samples 4 and ends its update: the third batch goes in.
            let sampled = ReplayBatch(spec: Self.spec, capacity: 4)
            var rng = Xoshiro256(seed: 3)
            try s.table.sample(into: sampled, count: 4, using: &rng)
            var state = TrainingState()
            try s.server.signal.endCycle(&state)   // the learner's update wakes the held-back stream
            try await waitFor(3)
            #expect(acks.withLock { $0 } == [0, 1, 2] && s.table.insertCount == 12)
            release.continuation.finish()
            try await call.value
        }
    }

    @Test func weightsStreamOnlyTheNewestVersion() async throws {
        try await withService { s in
            let reply = try await register(s)
            for _ in 0..<5 { s.weights.publish(s.network) }   // versions 1...5 before anyone listens
            let asks = AsyncStream<Int64>.makeStream()
            asks.continuation.yield(-1)
            let received = try await s.client.bidirectionalStreaming(
                request: StreamingClientRequest(of: WeightsRequest.self) { writer in
                    for await have in asks.stream { try await writer.write(WeightsRequest(epoch: reply.epoch, incarnation: 1, have: have)) }
                },
                descriptor: CollectionService.weights,
                serializer: WireCoder<WeightsRequest>(), deserializer: WireCoder<WeightsSnapshot>(), options: .defaults) { response in
                var versions: [Int64] = []
                var state2 = TrainingState()
                for try await snapshot in response.messages {
                    #expect(snapshot.parameters == Array(s.network.parameters))
                    versions.append(snapshot.version)
                    if versions.count == 1 {
                        // While this reader is slow, the learner publishes 50 more versions.
                        var state = TrainingState()
                        for _ in 0..<50 {
                            s.weights.publish(s.network)
                            try s.server.signal.endCycle(&state)
                        }
                    }
                    if snapshot.version == 56 { break }
                    asks.continuation.yield(snapshot.version)
                    if versions.count == 2 {
                        // Nothing newer: the answer waits for the next version.
                        try await waitUntil("the stream waits for version 56") { s.server.signal.hasVersionWaiters }
                        s.weights.publish(s.network)
                        try s.server.signal.endCycle(&state2)
                    }
                }
                asks.continuation.finish()
                return versions
            }
            // The newest when asked, never a queue of old ones; then the next as soon as it is published.
            #expect(received == [5, 55, 56])
            // A collector coming from another learner (before a restart) asks with a version this one
            // has not reached: it gets the newest at once.
            let fromAnotherLearner = try await s.client.bidirectionalStreaming(
                request: StreamingClientRequest(of: WeightsRequest.self) { writer in
                    try await writer.write(WeightsRequest(epoch: reply.epoch, incarnation: 1, have: 400_000))
                },
                descriptor: CollectionService.weights,
                serializer: WireCoder<WeightsRequest>(), deserializer: WireCoder<WeightsSnapshot>(), options: .defaults) { response in
                for try await snapshot in response.messages { return snapshot.version }
                return -1
            }
            #expect(fromAnotherLearner == 56)
        }
    }

    /// A whole run fed by one remote collector: DQN (discrete actions), DQN with 3-step returns
    /// (the `discount` extra column), SAC on Pendulum (continuous actions).
    @Test(arguments: [("dqn", ["algorithm.n_step=1"]), ("dqn", ["algorithm.n_step=3"]), ("sac", ["algorithm.batch_size=64", "network.hidden=[32, 32]"])])
    func aRunFedOnlyByARemoteCollector(algorithm: String, extra: [String]) async throws {
        let transport = InProcessTransport()
        let server = CollectionServer(listening: .inProcess(transport.server), maxBatchTransitions: 128)
        server.log = { _ in }
        let config = try ExperimentConfig.defaults(AlgorithmName(algorithm), overrides: [
            "collectors.count=0", "collectors.serve=1", "train.env_steps=3000", "memory.min_size=500", "train.eval_every=null", "eval.episodes=2"] + extra)
        var options = RunOptions()
        options.callbacks = CallbackRegistry.builtIn
        options.collectorService = { _ in server }
        let learner = Locked<Result<RunResult, Error>?>(nil)
        let run = UncheckedSendable((config, options))
        let learnerThread = Thread {
            do {
                let result = try Experiment.run(run.value.0, options: run.value.1)
                learner.withLock { $0 = .success(result) }
            } catch {
                learner.withLock { $0 = .failure(error) }
            }
        }
        learnerThread.start()
        var collectorOptions = RemoteCollector.Options(learner: "in-process:1")
        collectorOptions.reportEvery = nil
        collectorOptions.seed = 5
        let outcome = try await withGRPCClient(transport: transport.client) { client in
            try await RemoteCollector(collectorOptions).collect(with: client)
        }
        try await waitUntil("the learner's run returns") { learner.withLock({ $0 }) != nil }
        let result = try #require(try learner.withLock { $0 }?.get())
        #expect(outcome.finished && outcome.runID == config.id)
        #expect(result.stoppedBy == .budget && result.environmentSteps >= 3000 && result.updates > 0)
        #expect((result.metrics?["remote_batches"] ?? 0) > 0 && result.metrics?["remote_collectors"] == 1)
        #expect(result.final?.returns.count == 2)
    }
}

#endif
