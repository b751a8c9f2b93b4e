#if Remote
import Collectors
import Core
import Experiments
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Memory
import NN
import SeededRandom
import Shared

/// The ingest benchmark (`remote-ingest-bench`): how many CartPole-size transitions per second
/// remote senders get into a learner's replay memory through the collection service, the
/// learner not updating. The server side is the real `CollectionServer` (checks, sequence
/// numbers, inserts); the senders stream ready-made batches through the real `BatchQueue`.
public enum IngestBenchmark {
    /// CartPole's transitions: 4 observation floats, 2 actions.
    static let spec = TransitionSpec(observationSize: 4, action: .discrete(n: 2))

    /// Serves a memory of `capacity` transitions on `port`; once the first batch arrives, samples
    /// the insert count every second for `seconds` seconds and returns the per-second rates.
    public static func serve(port: Int, seconds: Int, capacity: Int = 1 << 20, report: (String) -> Void) throws -> [Double] {
        let config = try ExperimentConfig.defaults(.dqn)
        let table = try ReplayTable(spec: spec, capacity: capacity)
        var rng = Xoshiro256(seed: 1)
        let weights = WeightPublisher(initial: MLP(sizes: [4, 64, 64, 2], activation: .relu, initializer: .pytorchDefault, rng: &rng))
        let server = CollectionServer(listening: .tcp(host: "0.0.0.0", port: port), maxBatchTransitions: 1024)
        try server.start(ServedRun(config: config, table: table, statistics: RunControl(), weights: weights))
        defer { server.stop(finished: true) }
        while table.insertCount == 0 { usleep(1000) }
        var rates: [Double] = []
        var last = table.insertCount, lastTime = ContinuousClock.now
        for _ in 0..<seconds {
            Thread.sleep(forTimeInterval: 1)
            let count = table.insertCount, now = ContinuousClock.now
            let elapsed = now - lastTime
            let rate = Double(count - last) / (elapsed / .seconds(1))
            rates.append(rate)
            report(String(format: "%.0f transitions/s", rate))
            (last, lastTime) = (count, now)
        }
        return rates
    }

    /// Sends batches of `batchTransitions` CartPole transitions to the server at `learner` as fast
    /// as acknowledgements allow (`window` in flight) until the server goes away.
    public static func send(learner: String, batchTransitions: Int = 1024, window: Int = 8) throws {
        let (host, port) = try RemoteCollector.parse(address: learner)
        let transport = try HTTP2ClientTransport.Posix(
            target: .dns(host: host, port: port), transportSecurity: .plaintext,
            config: .defaults { config in
                config.http2.targetWindowSize = CollectionServer.windowBytes
                config.http2.maxFrameSize = 1 << 20
            })
        try runBlocking {
            try await withGRPCClient(transport: transport) { client in
                let description = try await client.unary(
                    request: ClientRequest(message: DescribeRequest()), descriptor: CollectionService.describe,
                    serializer: WireCoder<DescribeRequest>(), deserializer: WireCoder<RunDescription>(), options: .defaults) { try $0.message }
                var generator = SystemRandomNumberGenerator()
                let incarnation: UInt64 = generator.next()
                let reply = try await client.unary(
                    request: ClientRequest(message: Registration(runID: description.runID, incarnation: incarnation, spec: spec, name: "ingest-bench")),
                    descriptor: CollectionService.register, serializer: WireCoder<Registration>(),
                    deserializer: WireCoder<RegistrationReply>(), options: .defaults) { try $0.message }
                let rows = TransitionRows(spec: spec)
                var bytes: [UInt8] = []
                var rng = Xoshiro256(seed: incarnation)
                var observation = [Float](repeating: 0, count: 4), next = observation
                for i in 0..<batchTransitions {
                    for j in 0..<4 { observation[j] = rng.nextUnitFloat() - 0.5; next[j] = rng.nextUnitFloat() - 0.5 }
                    observation.withUnsafeBufferPointer { o in next.withUnsafeBufferPointer { n in
                        rows.append(TransitionView(observation: o, actionIndex: Int32(i % 2), reward: 1, terminated: i % 200 == 199, nextObservation: n), to: &bytes)
                    } }
                }
                let template = TransitionBatch(epoch: reply.epoch, incarnation: incarnation, sequence: 0, policyVersion: 0,
                                               count: batchTransitions, width: rows.width, episodes: [], rows: bytes)
                let queue = BatchQueue(window: window)
                let producer = Thread {
                    while true {
                        do { try queue.submit(template) } catch { return }
                    }
                }
                producer.start()
                defer { queue.end(.stopped) }
                try await client.bidirectionalStreaming(
                    request: StreamingClientRequest(of: TransitionBatch.self) { writer in
                        while let batch = await queue.next() { try await writer.write(batch) }
                    },
                    descriptor: CollectionService.insert, serializer: WireCoder<TransitionBatch>(), deserializer: WireCoder<Acknowledgement>(),
                    options: .defaults) { response in
                    for try await ack in response.messages {
                        queue.acknowledge(ack.sequence)
                        if ack.finished { return }
                    }
                }
            }
        }
    }
}
#endif
