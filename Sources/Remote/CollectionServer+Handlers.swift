#if Remote
import Experiments
import Foundation
import GRPCCore
import Memory
import Shared

/// What one `Insert` stream keeps between its batches: its own writer into the memory (claiming
/// rows in blocks) and a row being unpacked, made at its first batch. Used by one handler task at a time.
private final class IngestStream: @unchecked Sendable {
    private(set) var writer: ReplayTable.Writer!
    var rows: TransitionRows!

    func prepare(for table: ReplayTable) {
        guard rows == nil else { return }
        rows = TransitionRows(spec: table.spec)
        writer = table.makeWriter(blockSize: 64)
    }
}

extension CollectionServer {
    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: CollectionService.describe, deserializer: WireCoder<DescribeRequest>(),
                               serializer: WireCoder<RunDescription>()) { request, _ in
            let message = try await ServerRequest(stream: request).message
            return StreamingServerResponse(single: ServerResponse(message: try self.describe(message)))
        }
        router.registerHandler(forMethod: CollectionService.register, deserializer: WireCoder<Registration>(),
                               serializer: WireCoder<RegistrationReply>()) { request, _ in
            let message = try await ServerRequest(stream: request).message
            return StreamingServerResponse(single: ServerResponse(message: try self.register(message)))
        }
        router.registerHandler(forMethod: CollectionService.insert, deserializer: WireCoder<TransitionBatch>(),
                               serializer: WireCoder<Acknowledgement>()) { request, _ in
            StreamingServerResponse(of: Acknowledgement.self) { writer in
                let stream = IngestStream()
                for try await batch in request.messages {
                    let acknowledgement = try await self.insert(batch, stream)
                    try await writer.write(acknowledgement)
                    if acknowledgement.finished { break }
                }
                return [:]
            }
        }
        router.registerHandler(forMethod: CollectionService.weights, deserializer: WireCoder<WeightsRequest>(),
                               serializer: WireCoder<WeightsSnapshot>()) { request, _ in
            StreamingServerResponse(of: WeightsSnapshot.self) { writer in
                for try await ask in request.messages {
                    let (run, _) = try self.registered(epoch: ask.epoch, incarnation: ask.incarnation)
                    // A version newer than any here is another learner's (before a restart): send the newest.
                    let have = ask.have > Int64(run.weights.version) ? -1 : Int(clamping: ask.have)
                    if have >= 0 {
                        // The collector asks as soon as it applied `have`: how far the learner got
                        // meanwhile, in versions and in time since the first version it lacks.
                        let current = run.weights.version
                        let lag = min(64, max(0, current - have))
                        var staleness = 0
                        if current > have, let since = self.signal.publishTime(of: have + 1) {
                            let elapsed = ContinuousClock.now - since
                            staleness = min(1000, Int(elapsed / .microseconds(100)))   // 0.1 ms bins
                        }
                        self.state.withLock { s in
                            s.weightsLagHistogram[lag] += 1
                            s.weightsStalenessHistogram[staleness] += 1
                        }
                    }
                    while !Task.isCancelled, self.verdict == nil {
                        if let snapshot = run.weights.latest(newerThan: have) {
                            try await writer.write(WeightsSnapshot(version: Int64(snapshot.version), parameters: snapshot.parameters))
                            break
                        }
                        await self.signal.wait(newerThan: have)
                    }
                    if self.verdict != nil { break }
                }
                return [:]
            }
        }
    }

    // MARK: The methods

    func describe(_ request: DescribeRequest) throws -> RunDescription {
        try checkProtocol(request.protocolVersion)
        let run = try currentRun()
        return RunDescription(epoch: epoch, runID: run.config.id, configYAML: run.config.yaml())
    }

    func register(_ request: Registration) throws -> RegistrationReply {
        try checkProtocol(request.protocolVersion)
        let run = try currentRun()
        guard request.runID == run.config.id else {
            refuse("\(request.name): run \(request.runID.prefix(8)) is not this learner's")
            throw RPCError(code: .failedPrecondition, message: "this learner runs \(run.config.runName)-\(run.config.id8) (id \(run.config.id)), "
                           + "not run \(request.runID); start the collector with that run's config, or with none to take the learner's")
        }
        guard request.spec == run.table.spec else {
            refuse("\(request.name): transition spec \(request.spec) differs")
            throw RPCError(code: .failedPrecondition, message: "the collector's transitions are \(request.spec); this run's memory holds \(run.table.spec) "
                           + "(another environment version or registry on the collector's machine?)")
        }
        let name = String(request.name.prefix(200))
        let (collector, isNew) = try state.withLock { s -> (CollectorRecord, Bool) in
            if let known = s.collectors[request.incarnation] { return (known, false) }
            guard s.collectors.count < Self.maxCollectors else {
                throw RPCError(code: .resourceExhausted, message: "this learner has registered \(Self.maxCollectors) collectors, its most")
            }
            let record = CollectorRecord(number: UInt32(s.collectors.count + 1), name: name, nextSequence: 0)
            s.collectors[request.incarnation] = record
            return (record, true)
        }
        log("collector \(collector.number) (\(name)) \(isNew ? "joined" : "reconnected")")
        return RegistrationReply(epoch: epoch, collector: collector.number, maxBatchTransitions: UInt32(maxBatchTransitions),
                                 nextSequence: collector.nextSequence)
    }

    fileprivate func insert(_ batch: TransitionBatch, _ stream: IngestStream) async throws -> Acknowledgement {
        let (run, number) = try registered(epoch: batch.epoch, incarnation: batch.incarnation, sending: true)
        if let finished = verdict { return try ending(run, finished: finished, batch: batch) }
        stream.prepare(for: run.table)
        var who: String { "collector \(number)'s batch \(batch.sequence)" }
        guard batch.width == stream.rows.width else {
            throw refusal(.invalidArgument, "\(who) has rows of \(batch.width) words; this run's transitions take \(stream.rows.width)")
        }
        guard batch.count <= maxBatchTransitions else {
            throw refusal(.invalidArgument, "\(who) carries \(batch.count) transitions, at most \(maxBatchTransitions)")
        }
        for episode in batch.episodes where !episode.return.isFinite || episode.length < 1 {
            throw refusal(.invalidArgument, "\(who) reports an episode of return \(episode.return) and length \(episode.length)")
        }
        do {
            try batch.rows.withUnsafeBytes { try stream.rows.check($0, count: batch.count) }
        } catch {
            throw refusal(.invalidArgument, "\(who): \(error)")
        }
        guard batch.sequence < UInt64.max else { throw refusal(.invalidArgument, "\(who): sequence numbers end below \(UInt64.max)") }
        // Claim the sequence number: a batch sent again after a reconnection is acknowledged, not
        // inserted twice. A claimed batch that is not inserted after all gives its claim back.
        let fresh = state.withLock { s -> Bool in
            guard var collector = s.collectors[batch.incarnation], batch.sequence >= collector.nextSequence else {
                s.duplicates += 1
                return false
            }
            collector.nextSequence = batch.sequence + 1
            s.collectors[batch.incarnation] = collector
            return true
        }
        if fresh {
            func giveBack() {
                state.withLock { s in
                    if s.collectors[batch.incarnation]?.nextSequence == batch.sequence + 1 { s.collectors[batch.incarnation]?.nextSequence = batch.sequence }
                }
            }
            // Backpressure: read no more from this stream while the rate limiter holds collectors
            // back (until a learner update admits inserts again); HTTP/2 flow control then stops
            // the collector's sends.
            var counted = false
            let table = run.table
            while !table.admitsInserts(countingWait: !counted) {
                counted = true
                if table.isClosed || verdict != nil {
                    giveBack()
                    return try await stopping(run, batch: batch)
                }
                if Task.isCancelled {
                    giveBack()
                    throw CancellationError()
                }
                await signal.waitForUpdate { table.admitsInserts(countingWait: false) || table.isClosed }
            }
            let writer = stream.writer!
            do {
                try batch.rows.withUnsafeBytes { raw in
                    for r in 0..<batch.count { try stream.rows.withTransition(raw, row: r) { try writer.insert($0, waiting: false) } }
                }
                writer.flush()
            } catch ReplayError.closed {
                // Training ended under the insert: some rows may be in (and in the final checkpoint).
                return try await stopping(run, batch: batch)
            }
            for episode in batch.episodes { run.statistics.recordEpisode(return: episode.return, length: episode.length) }
            run.statistics.addSteps(batch.count)
            let version = run.weights.version
            state.withLock { s in
                s.batches += 1
                s.collectors[batch.incarnation]?.batches += 1
                s.collectors[batch.incarnation]?.transitions += batch.count
                if batch.policyVersion >= 0 { s.lagHistogram[min(64, max(0, version - Int(batch.policyVersion)))] += 1 }
            }
        }
        return Acknowledgement(sequence: batch.sequence, finished: false, environmentSteps: Int64(run.statistics.environmentSteps),
                               policyVersion: Int64(run.weights.version))
    }

    // MARK: Helpers

    var verdict: Bool? { state.withLock { $0.finished } }

    private func currentRun() throws -> ServedRun {
        guard let run = state.withLock({ $0.run }) else { throw RPCError(code: .unavailable, message: "the learner is starting") }
        return run
    }

    private func checkProtocol(_ version: UInt32) throws {
        guard version == WireFormat.protocolVersion else {
            throw RPCError(code: .failedPrecondition, message: "the collector speaks protocol \(version), this learner \(WireFormat.protocolVersion): use the same rl-train build on both")
        }
    }

    /// The run, if `incarnation` registered with this learner (`epoch`).
    /// The run and the collector's number, if `incarnation` registered with this learner
    /// (`epoch`); `sending` notes that it is sending batches now.
    func registered(epoch: UInt64, incarnation: UInt64, sending: Bool = false) throws -> (ServedRun, number: UInt32) {
        guard epoch == self.epoch else {
            throw RPCError(code: .failedPrecondition, message: "learner epoch \(String(epoch, radix: 16)) ended; this learner's is \(String(self.epoch, radix: 16)): register again")
        }
        let (run, number) = state.withLock { s -> (ServedRun?, UInt32?) in
            if sending { s.collectors[incarnation]?.lastSeen = .now }
            return (s.run, s.collectors[incarnation]?.number)
        }
        guard let run else { throw RPCError(code: .unavailable, message: "the learner is starting") }
        guard let number else {
            throw RPCError(code: .failedPrecondition, message: "collector incarnation \(String(incarnation, radix: 16)) has not registered with this learner: register first")
        }
        return (run, number)
    }

    private func refuse(_ what: String) {
        state.withLock { $0.refused += 1 }
        log("refused \(what)")
    }

    private func refusal(_ code: RPCError.Code, _ message: String) -> RPCError {
        refuse(message)
        return RPCError(code: code, message: message)
    }

    /// The memory closed under a batch: training ended. Waits (briefly) for the run's verdict and
    /// answers with it.
    private func stopping(_ run: ServedRun, batch: TransitionBatch) async throws -> Acknowledgement {
        for _ in 0..<3_000 where verdict == nil { try await Task.sleep(for: .milliseconds(10)) }   // the final checkpoint may take a while
        return try ending(run, finished: verdict ?? false, batch: batch)
    }

    /// The answer once training ended: `finished` (the collector exits), or unavailable until a
    /// resumed learner serves again.
    private func ending(_ run: ServedRun, finished: Bool, batch: TransitionBatch) throws -> Acknowledgement {
        guard finished else {
            throw RPCError(code: .unavailable, message: "the learner stopped (interrupted, or failed) before the end of the run; wait for it to resume from its checkpoint")
        }
        state.withLock { $0.collectors[batch.incarnation]?.toldFinished = true }
        return Acknowledgement(sequence: batch.sequence, finished: true, environmentSteps: Int64(run.statistics.environmentSteps),
                               policyVersion: Int64(run.weights.version))
    }

    /// The service's figures for the run's metrics: collectors that joined, batches inserted,
    /// duplicates and refusals, and how far behind the learner's weights batches arrived.
    func metrics() -> [(String, Double)] {
        state.withLock { s in
            [("remote_collectors", Double(s.collectors.count)), ("remote_batches", Double(s.batches)),
             ("remote_duplicates", Double(s.duplicates)), ("remote_refused", Double(s.refused))]
                + Self.summary(s.weightsLagHistogram, "remote_weights_lag")
                + Self.summary(s.weightsStalenessHistogram, "remote_weights_staleness_ms", binWidth: 0.1)
                + Self.summary(s.lagHistogram, "remote_batch_lag")
        }
    }

    /// Mean, median, 99th percentile and maximum of a histogram (the last bin holds everything
    /// beyond), in units of `binWidth`.
    private static func summary(_ histogram: [Int], _ name: String, binWidth: Double = 1) -> [(String, Double)] {
        let total = histogram.reduce(0, +)
        guard total > 0 else { return [] }
        func percentile(_ q: Double) -> Double {
            var seen = 0
            for (lag, count) in histogram.enumerated() {
                seen += count
                if Double(seen) >= q * Double(total) { return Double(lag) }
            }
            return Double(histogram.count - 1)
        }
        let mean = Double(histogram.enumerated().reduce(0) { $0 + $1.offset * $1.element }) / Double(total)
        return [("\(name)_mean", mean * binWidth), ("\(name)_p50", percentile(0.5) * binWidth), ("\(name)_p99", percentile(0.99) * binWidth),
                ("\(name)_max", Double(histogram.lastIndex { $0 > 0 } ?? 0) * binWidth)]
    }
}
#endif
