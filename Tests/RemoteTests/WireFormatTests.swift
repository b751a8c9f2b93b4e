import Foundation
import Memory
@testable import Remote
import Testing

/// The collection service's messages: every one survives a round trip, and bytes that are not a
/// message are refused with an error naming the message and the field, never a crash.
@Suite struct WireFormatTests {
    static let spec = TransitionSpec(observationSize: 4, action: .discrete(n: 2), extras: [ExtraColumn(name: "discount")])

    func roundTrip<M: WireMessage & Equatable>(_ message: M) throws {
        let bytes = message.encoded()
        let decoded = try bytes.withUnsafeBytes { try M(decoding: $0) }
        #expect(decoded == message)
    }

    @Test func everyMessageRoundTrips() throws {
        try roundTrip(DescribeRequest())
        try roundTrip(RunDescription(epoch: 0xDEAD_BEEF_0123, runID: "abc", configYAML: "algorithm:\n  name: dqn\n"))
        try roundTrip(Registration(runID: "r", incarnation: 42, spec: Self.spec, name: "host:1"))
        try roundTrip(Registration(runID: "r", incarnation: 7, spec: TransitionSpec(observationSize: 3, action: .continuous(size: 1)), name: ""))
        try roundTrip(RegistrationReply(epoch: 1, collector: 3, maxBatchTransitions: 1024, nextSequence: 99))
        try roundTrip(TransitionBatch(epoch: 1, incarnation: 2, sequence: 3, policyVersion: -1, count: 2, width: 3,
                                      episodes: [EpisodeReport(return: 12.5, length: 13)], rows: Array(repeating: 7, count: 24)))
        try roundTrip(Acknowledgement(sequence: 5, finished: true, environmentSteps: 1234, policyVersion: 17))
        try roundTrip(WeightsRequest(epoch: 9, incarnation: 10, have: -1))
        try roundTrip(WeightsSnapshot(version: 3, parameters: [1, -2.5, .pi]))
    }

    @Test func garbageIsRefusedNamingTheField() throws {
        func refusal<M: WireMessage>(_ type: M.Type, _ bytes: [UInt8]) -> String {
            do {
                _ = try bytes.withUnsafeBytes { try M(decoding: $0) }
                return "decoded"
            } catch {
                return "\(error)"
            }
        }
        // Too short for the tag, another message's tag, a truncated field, bytes left over.
        #expect(refusal(Acknowledgement.self, [1, 2]).contains("tag needs 4 bytes"))
        #expect(refusal(Acknowledgement.self, WeightsRequest(epoch: 1, incarnation: 2, have: 0).encoded()).contains("is not 'ACK1'"))
        let ack = Acknowledgement(sequence: 5, finished: false, environmentSteps: 1, policyVersion: 2).encoded()
        #expect(refusal(Acknowledgement.self, Array(ack.dropLast(3))).contains("policy_version needs 8 bytes"))
        #expect(refusal(Acknowledgement.self, ack + [0]).contains("1 bytes after the last field"))
        // A batch whose rows do not match its count and width, or that claims absurd sizes.
        var batch = TransitionBatch(epoch: 1, incarnation: 2, sequence: 3, policyVersion: 0, count: 2, width: 3, episodes: [], rows: Array(repeating: 0, count: 24))
        var bytes = batch.encoded()
        #expect(refusal(TransitionBatch.self, Array(bytes.dropLast(4))).contains("2 rows of 3 words need 24 bytes, 20 follow"))
        batch.count = 1 << 21
        bytes = batch.encoded()
        #expect(refusal(TransitionBatch.self, bytes).contains("count is 2097152"))
        // A string claiming more bytes than allowed, and one that is not UTF-8.
        var w = ByteWriter()
        w.put(RunDescription.tag); w.put(WireFormat.protocolVersion); w.put(UInt64(1)); w.put(UInt32.max)
        #expect(refusal(RunDescription.self, w.bytes).contains("run_id claims"))
        w = ByteWriter()
        w.put(RunDescription.tag); w.put(WireFormat.protocolVersion); w.put(UInt64(1)); w.put(UInt32(2)); w.bytes += [0xC3, 0x28]
        #expect(refusal(RunDescription.self, w.bytes).contains("run_id is not UTF-8"))
        // A registration with no valid spec.
        w = ByteWriter()
        w.put(Registration.tag); w.put(WireFormat.protocolVersion); w.put("r"); w.put(UInt64(1)); w.put(UInt32(0)); w.put(UInt8(0)); w.put(UInt32(2)); w.put(UInt32(0)); w.put("n")
        #expect(refusal(Registration.self, w.bytes).contains("is no transition spec"))
        // Random bytes never crash a decoder.
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for type in [TransitionBatch.self, Registration.self, RunDescription.self, WeightsSnapshot.self] as [any WireMessage.Type] {
                _ = refusal(type, noise)
            }
            // The right tag followed by noise.
            _ = refusal(TransitionBatch.self, TransitionBatch.tag.littleEndianBytes + noise)
            _ = refusal(Registration.self, Registration.tag.littleEndianBytes + noise)
        }
    }

    @Test func rowsPackCheckAndUnpack() throws {
        var rows = TransitionRows(spec: Self.spec)
        #expect(rows.width == 4 + 1 + 1 + 1 + 4 + 1)
        let observation: [Float] = [1, 2, 3, 4], next: [Float] = [5, 6, 7, 8], discount: [Float] = [0.98]
        var bytes: [UInt8] = []
        observation.withUnsafeBufferPointer { o in next.withUnsafeBufferPointer { n in discount.withUnsafeBufferPointer { d in
            rows.append(TransitionView(observation: o, actionIndex: 1, reward: -0.5, terminated: false, truncated: true, nextObservation: n, extras: d), to: &bytes)
            rows.append(TransitionView(observation: n, actionIndex: 0, reward: 1, terminated: true, nextObservation: o, extras: d), to: &bytes)
        } } }
        #expect(bytes.count == 2 * rows.width * 4)
        try bytes.withUnsafeBytes { raw in
            try rows.check(raw, count: 2)
            rows.withTransition(raw, row: 0) { t in
                #expect(Array(t.observation) == observation && Array(t.nextObservation) == next && Array(t.extras) == discount)
                #expect(t.actionIndex == 1 && t.reward == -0.5 && !t.terminated && t.truncated)
            }
            rows.withTransition(raw, row: 1) { t in
                #expect(Array(t.observation) == next && t.actionIndex == 0 && t.terminated && !t.truncated)
            }
        }
        // A NaN anywhere, an action out of range, unknown flags: refused, naming row and column.
        func refusal(_ word: Int, _ value: UInt32) -> String {
            var damaged = bytes
            withUnsafeBytes(of: value.littleEndian) { damaged.replaceSubrange((rows.width + word) * 4 ..< (rows.width + word + 1) * 4, with: $0) }
            do {
                try damaged.withUnsafeBytes { try rows.check($0, count: 2) }
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(2, Float.nan.bitPattern) == "row 1: observation[2] is nan")
        #expect(refusal(4, 2) == "row 1: action 2 is outside 0..<2")
        #expect(refusal(5, Float.infinity.bitPattern) == "row 1: reward[0] is inf")
        #expect(refusal(6, 4).hasPrefix("row 1: flags are 4"))
        #expect(refusal(9, Float.nan.bitPattern) == "row 1: next_observation[2] is nan")
        #expect(refusal(11, Float.nan.bitPattern) == "row 1: extras[0] is nan")
    }
}

extension UInt32 {
    var littleEndianBytes: [UInt8] { withUnsafeBytes(of: littleEndian) { Array($0) } }
}
