import Shared
import Memory

// The collection service's messages; `WireFormat` says how they are laid out, and
// the README lists every field.

/// Asks a learner what it runs (`Describe`).
struct DescribeRequest: WireMessage, Equatable {
    static let tag = wireTag("DSC1")
    var protocolVersion: UInt32 = WireFormat.protocolVersion

    func encode(into w: inout ByteWriter) { w.put(protocolVersion) }
}

extension DescribeRequest {
    init(from r: inout ByteReader) throws { protocolVersion = try r.read("protocol_version") }
}

/// What a learner runs: its epoch (new each time a learner process starts serving), the run's
/// identity and its resolved config, for collectors that join without one.
struct RunDescription: WireMessage, Equatable {
    static let tag = wireTag("RUN1")
    var protocolVersion: UInt32 = WireFormat.protocolVersion
    var epoch: UInt64
    var runID: String
    var configYAML: String

    func encode(into w: inout ByteWriter) {
        w.put(protocolVersion); w.put(epoch); w.put(runID); w.put(configYAML)
    }
}

extension RunDescription {
    init(from r: inout ByteReader) throws {
        protocolVersion = try r.read("protocol_version")
        epoch = try r.read("epoch")
        runID = try r.readString("run_id", maxBytes: WireFormat.maxStringBytes)
        configYAML = try r.readString("config", maxBytes: WireFormat.maxStringBytes)
    }
}

/// A collector joining a run (`Register`): the run it collects for, the shape of its
/// transitions, and its incarnation (random per collector process: a restarted collector is a
/// new one, a reconnecting one is the same).
struct Registration: WireMessage, Equatable {
    static let tag = wireTag("REG1")
    var protocolVersion: UInt32 = WireFormat.protocolVersion
    var runID: String
    var incarnation: UInt64
    var spec: TransitionSpec
    /// Who it is, for the learner's log (host and process id).
    var name: String

    func encode(into w: inout ByteWriter) {
        w.put(protocolVersion); w.put(runID); w.put(incarnation)
        w.put(UInt32(spec.observationSize))
        switch spec.action {
        case .discrete(let n): w.put(UInt8(0)); w.put(UInt32(n))
        case .continuous(let size): w.put(UInt8(1)); w.put(UInt32(size))
        }
        w.put(UInt32(spec.extras.count))
        for column in spec.extras { w.put(column.name); w.put(UInt32(column.width)) }
        w.put(name)
    }
}

extension Registration {
    init(from r: inout ByteReader) throws {
        protocolVersion = try r.read("protocol_version")
        runID = try r.readString("run_id", maxBytes: WireFormat.maxStringBytes)
        incarnation = try r.read("incarnation")
        let observationSize = try r.readCount("observation_size", limit: 1 << 20)
        let kind: UInt8 = try r.read("action_kind")
        let actionSize = try r.readCount("action_size", limit: 1 << 20)
        let extraCount = try r.readCount("extras", limit: 64)
        var extras: [ExtraColumn] = []
        for _ in 0..<extraCount {
            let name = try r.readString("extra.name", maxBytes: WireFormat.maxStringBytes)
            let width = try r.readCount("extra.width", limit: 1 << 16)
            guard width > 0 else { throw r.failure("extra column '\(name)' has width 0") }
            extras.append(ExtraColumn(name: name, width: width))
        }
        guard observationSize > 0, actionSize > 0, kind <= 1 else {
            throw r.failure("observation size \(observationSize), action kind \(kind) size \(actionSize) is no transition spec")
        }
        spec = TransitionSpec(observationSize: observationSize, action: kind == 0 ? .discrete(n: actionSize) : .continuous(size: actionSize), extras: extras)
        name = try r.readString("name", maxBytes: WireFormat.maxStringBytes)
    }
}

/// The learner's answer to a registration.
struct RegistrationReply: WireMessage, Equatable {
    static let tag = wireTag("RGR1")
    var epoch: UInt64
    /// The collector's number in this learner's log (in order of first registration).
    var collector: UInt32
    /// The most transitions one batch may carry.
    var maxBatchTransitions: UInt32
    /// The sequence number the learner expects next from this incarnation: batches before it
    /// were inserted (a reconnecting collector drops them instead of sending them again).
    var nextSequence: UInt64

    func encode(into w: inout ByteWriter) { w.put(epoch); w.put(collector); w.put(maxBatchTransitions); w.put(nextSequence) }
}

extension RegistrationReply {
    init(from r: inout ByteReader) throws {
        epoch = try r.read("epoch")
        collector = try r.read("collector")
        maxBatchTransitions = try r.read("max_batch_transitions")
        nextSequence = try r.read("next_sequence")
    }
}

/// An episode a collector finished, reported with the batch that follows it.
struct EpisodeReport: Equatable, Sendable {
    var `return`: Double
    var length: Int
}

/// A batch of transitions (`Insert`, client to learner). `rows` holds `count` rows of
/// `TransitionRows.width(spec)` little-endian 32-bit words each: observation, action (an Int32
/// index, or floats), reward, flags (bit 0 terminated, bit 1 truncated), next observation,
/// extras in spec order.
struct TransitionBatch: WireMessage, Equatable {
    static let tag = wireTag("BAT1")
    static let maxEpisodes = 1 << 16
    var epoch: UInt64
    var incarnation: UInt64
    var sequence: UInt64
    /// The learner's weights version the collector acted with when it sent the batch (−1 before any).
    var policyVersion: Int64
    var count: Int
    var width: Int
    var episodes: [EpisodeReport]
    var rows: [UInt8]

    func encode(into w: inout ByteWriter) {
        w.put(epoch); w.put(incarnation); w.put(sequence); w.put(policyVersion)
        w.put(UInt32(count)); w.put(UInt32(width)); w.put(UInt32(episodes.count))
        for episode in episodes { w.put(episode.return); w.put(UInt32(clamping: episode.length)); w.put(UInt32(0)) }
        rows.withUnsafeBytes { w.put(raw: $0) }
    }
}

extension TransitionBatch {
    init(from r: inout ByteReader) throws {
        epoch = try r.read("epoch")
        incarnation = try r.read("incarnation")
        sequence = try r.read("sequence")
        policyVersion = try r.read("policy_version")
        count = try r.readCount("count", limit: 1 << 20)
        width = try r.readCount("width", limit: 1 << 20)
        let episodeCount = try r.readCount("episodes", limit: Self.maxEpisodes)
        episodes = []
        episodes.reserveCapacity(episodeCount)
        for _ in 0..<episodeCount {
            let value = try r.readDouble("episode.return")
            let length = Int(try r.read("episode.length") as UInt32)
            _ = try r.read("episode.padding") as UInt32
            episodes.append(EpisodeReport(return: value, length: length))
        }
        let (bytes, overflow) = (count * width).multipliedReportingOverflow(by: 4)
        guard !overflow, bytes == r.remaining else {
            throw r.failure("\(count) rows of \(width) words need \(count * width * 4) bytes, \(r.remaining) follow")
        }
        rows = Array(try r.readRaw(bytes, "rows"))
    }
}

/// The learner's answer to a batch: inserted (or already had), with its counters, and whether
/// the run has ended (the collector then exits).
struct Acknowledgement: WireMessage, Equatable {
    static let tag = wireTag("ACK1")
    var sequence: UInt64
    var finished: Bool
    /// The learner's environment steps, counted over every collector (exploration schedules).
    var environmentSteps: Int64
    /// The learner's newest published weights version.
    var policyVersion: Int64

    func encode(into w: inout ByteWriter) {
        w.put(sequence); w.put(UInt8(finished ? 1 : 0)); w.put(environmentSteps); w.put(policyVersion)
    }
}

extension Acknowledgement {
    init(from r: inout ByteReader) throws {
        sequence = try r.read("sequence")
        let flag: UInt8 = try r.read("finished")
        guard flag <= 1 else { throw r.failure("finished is \(flag)") }
        finished = flag == 1
        environmentSteps = try r.read("environment_steps")
        policyVersion = try r.read("policy_version")
    }
}

/// Asks for the newest weights (`Weights`): the answer comes once the learner has a version
/// newer than `have`.
struct WeightsRequest: WireMessage, Equatable {
    static let tag = wireTag("WRQ1")
    var epoch: UInt64
    var incarnation: UInt64
    /// The version the collector acts with (−1: none yet).
    var have: Int64

    func encode(into w: inout ByteWriter) { w.put(epoch); w.put(incarnation); w.put(have) }
}

extension WeightsRequest {
    init(from r: inout ByteReader) throws {
        epoch = try r.read("epoch")
        incarnation = try r.read("incarnation")
        have = try r.read("have")
    }
}

/// One published version of the acting network's parameters.
struct WeightsSnapshot: WireMessage, Equatable {
    static let tag = wireTag("WGT1")
    var version: Int64
    var parameters: [Float]

    func encode(into w: inout ByteWriter) {
        w.put(version); w.put(UInt32(parameters.count)); w.put(UInt32(0))
        parameters.withUnsafeBytes { w.put(raw: $0) }   // little-endian hosts only (checked at start)
    }
}

extension WeightsSnapshot {
    init(from r: inout ByteReader) throws {
        version = try r.read("version")
        let count = try r.readCount("count", limit: 1 << 28)
        _ = try r.read("padding") as UInt32
        let raw = try r.readRaw(count * 4, "parameters")
        parameters = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            initialized = count
        }
    }
}
