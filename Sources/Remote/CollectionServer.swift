#if Remote
import Collectors
import Dispatch
import Experiments
import Foundation
import GRPCCore
import GRPCInProcessTransport
import GRPCNIOTransportHTTP2Posix
import Learner
import Memory
import NN
import Shared

/// The learner's side of remote collection: serves `CollectionService` for one run, inserting
/// what collectors send into the run's replay memory under its rate limit and streaming them
/// its newest weights. `Experiment.run` starts and stops it (`RemoteCollectorService`).
///
///     var options = RunOptions(directory: directory)
///     options.collectorService = { port in CollectionServer(listening: .tcp(host: "0.0.0.0", port: port)) }
///     let result = try Experiment.run(config, options: options)   // config sets collectors.serve
///
/// Nothing a collector sends can crash the learner: sizes, flags, action indices and the
/// finiteness of every float are checked before a batch is inserted, whole or not at all.
/// Each collector process has an incarnation; its batches carry sequence numbers, so a batch
/// sent again after a reconnection is acknowledged without being inserted twice.
public final class CollectionServer: RemoteCollectorService, RegistrableRPCService, @unchecked Sendable {
    /// Where the server listens.
    public enum Listening: Sendable {
        /// A TCP address (`0.0.0.0` for every IPv4 interface).
        case tcp(host: String, port: Int)
        /// gRPC's in-process transport (tests: the client is the same `InProcessTransport`'s).
        case inProcess(InProcessTransport.Server)
    }

    public let listening: Listening
    /// The most transitions one batch may carry. Small batches keep remote data as fresh as
    /// in-process collectors' (the rate limiter's tolerance grows with it); the ingest benchmark
    /// uses 1024.
    public let maxBatchTransitions: Int
    /// New for each learner process: collectors that see another one register again.
    public let epoch: UInt64
    /// The HTTP/2 flow-control window per stream. The default 64 KiB caps a stream at a few
    /// tens of MB/s; a window of several batches keeps ingest at the memory's pace.
    public static let windowBytes = 8 << 20
    /// Collector incarnations one learner process registers at most (each restart of a collector is a new one).
    public static let maxCollectors = 4096

    struct CollectorRecord {
        var number: UInt32
        var name: String
        var nextSequence: UInt64
        var batches = 0
        var transitions = 0
        /// When it last sent a batch, and whether it has been told the run finished.
        var lastSeen = ContinuousClock.now
        var toldFinished = false
    }
    struct State {
        var run: ServedRun?
        var rows: TransitionRows?
        var collectors: [UInt64: CollectorRecord] = [:]
        /// Set once training ended: true when the run is over, false when it was interrupted.
        var finished: Bool?
        /// Batches by how many versions the learner's weights were ahead of the collector's when they arrived.
        var lagHistogram = [Int](repeating: 0, count: 65)
        /// Weights requests by how many versions the learner was ahead of the version the collector had just applied.
        var weightsLagHistogram = [Int](repeating: 0, count: 65)
        /// The same asks by how long (0.1 ms bins up to 100 ms) the oldest version the collector lacked had been published.
        var weightsStalenessHistogram = [Int](repeating: 0, count: 1001)
        var batches = 0
        var duplicates = 0
        var refused = 0
    }
    let state = Locked(State())
    private(set) var signal: LearnerSignal!
    private var shutdown: (() -> Void)?
    private var serving: Task<Void, Error>?
    /// Log lines (joins, refusals); stderr by default.
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("[serve] " + $0 + "\n").utf8)) }

    public init(listening: Listening, maxBatchTransitions: Int = 32) {
        self.listening = listening
        self.maxBatchTransitions = maxBatchTransitions
        var generator = SystemRandomNumberGenerator()
        epoch = generator.next()
        signal = LearnerSignal(metrics: { [weak self] in self?.metrics() ?? [] })
    }

    public var callbacks: [Callback] { [signal] }

    public func start(_ run: ServedRun) throws {
        signal.attach(weights: run.weights, table: run.table)
        state.withLock { s in
            s.run = run
            s.rows = TransitionRows(spec: run.table.spec)
        }
        let host: String, port: Int
        switch listening {
        case .inProcess(let transport):
            _ = serve(transport)
            return
        case .tcp(let h, let p):
            (host, port) = (h, p)
        }
        let config = HTTP2ServerTransport.Posix.Config.defaults { config in
            config.http2.targetWindowSize = Self.windowBytes
            config.http2.maxFrameSize = 1 << 20
            config.rpc.maxRequestPayloadSize = 64 << 20
        }
        let (server, task) = serve(.http2NIOPosix(address: .ipv4(host: host, port: port), transportSecurity: .plaintext, config: config))
        // Wait until it listens (or failed to: a port in use is an error of this run, said by the serve task).
        do {
            let address = try runBlocking { try await server.listeningAddress.map { String(describing: $0) } ?? "?" }
            log("learner epoch \(String(epoch, radix: 16)) serves run \(run.config.id.prefix(8)) on \(address)")
        } catch {
            let cause = (try? runBlocking { () -> String in
                do { try await task.value } catch { return "\(error)" }
                return ""
            }) ?? ""
            throw RemoteError.cannotListen(host: host, port: port, detail: cause.isEmpty ? "\(error)" : cause)
        }
    }

    /// Serves this service over `transport` until `stop`.
    private func serve<Transport: ServerTransport>(_ transport: Transport) -> (GRPCServer<Transport>, Task<Void, Error>) {
        let server = GRPCServer(transport: transport, services: [self])
        let task = Task { try await server.serve() }
        shutdown = { server.beginGracefulShutdown() }
        serving = task
        return (server, task)
    }

    public func stop(finished: Bool) {
        // The first call decides; later ones find the service stopped.
        let first = state.withLock { s -> Bool in
            guard s.finished == nil else { return false }
            s.finished = finished
            return true
        }
        guard first else { return }
        signal.close()
        guard let shutdown, let serving else { return }
        if finished {
            // Every collector active in the last seconds hears "finished" (at its next batch) before
            // the server goes, for at most 10 s: one between retries would otherwise wait out its patience.
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, state.withLock({ s in
                s.collectors.values.contains { !$0.toldFinished && ContinuousClock.now - $0.lastSeen < .seconds(5) }
            }) {
                usleep(10_000)
            }
        }
        // Collectors get their last acknowledgements (finished: they exit) for a moment, then the
        // server goes, whatever is still open.
        shutdown()
        let done = DispatchSemaphore(value: 0)
        Task { _ = try? await serving.value; done.signal() }
        if done.wait(timeout: .now() + 3) == .timedOut {
            serving.cancel()
            _ = done.wait(timeout: .now() + 3)
        }
        let (collectors, batches) = state.withLock { ($0.collectors.count, $0.batches) }
        log("stopped (\(finished ? "run finished" : "before the end of the run; collectors wait for the learner to resume")): \(collectors) collectors sent \(batches) batches")
    }
}
#endif
