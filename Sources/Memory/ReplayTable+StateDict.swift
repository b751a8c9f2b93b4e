import Atomics
import StateDictIO

extension ReplayTable {
    /// The table's contents and counters as a state dict (for checkpoints): one tensor per
    /// column, rows oldest first, plus each row's insertion number.
    ///
    /// Meant for a quiet table (collectors paused, as at a checkpoint in deterministic mode);
    /// with inserts running, each exported row is still whole (read under its seqlock), but
    /// rows written during the export may or may not be included.
    public func stateDict() -> StateDict {
        let inserted = claimed.load(ordering: .acquiring)
        let firstKey = inserted > UInt64(capacity) ? inserted - UInt64(capacity) : 0
        var observation: [Float] = [], next: [Float] = [], actionValues: [Float] = [], extras: [Float] = []
        var actionIndices: [Int32] = [], rewards: [Float] = [], terminated: [Bool] = [], truncated: [Bool] = [], keys: [UInt64] = []
        let n = Int(inserted - firstKey)
        observation.reserveCapacity(n * spec.observationSize)
        next.reserveCapacity(n * spec.observationSize)
        let batch = ReplayBatch(spec: spec, capacity: 1)
        for key in firstKey..<inserted {
            let slot = Int(key % UInt64(capacity))
            // Wait for an in-flight write of this row to finish; skip a row never written yet.
            var stamp = word(slot, Self.stampWord).load(ordering: .acquiring)
            while stamp & 1 == 1 {
                sched_yield_portable()
                stamp = word(slot, Self.stampWord).load(ordering: .acquiring)
            }
            if stamp == 0 { continue }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 1) { rows in
                rows[0] = slot
                gather(into: batch, count: 1, rows: rows.baseAddress!, redraw: { _ in slot })
            }
            guard batch.keys[0] == key else { continue }   // overwritten (or not yet rewritten) meanwhile
            observation += batch.observations
            next += batch.nextObservations
            if discreteActions != nil { actionIndices += batch.actionIndices } else { actionValues += batch.actionValues }
            rewards.append(batch.rewards[0])
            terminated.append(batch.terminated[0] != 0)
            truncated.append(batch.truncated[0] != 0)
            extras += batch.extras
            keys.append(batch.keys[0])
        }
        let rows = keys.count
        var dict = StateDict()
        dict["observation"] = Tensor(floats: observation, shape: [rows, spec.observationSize])
        dict["next_observation"] = Tensor(floats: next, shape: [rows, spec.observationSize])
        if discreteActions != nil {
            dict["action"] = Tensor(int32s: actionIndices, shape: [rows])
        } else {
            dict["action"] = Tensor(floats: actionValues, shape: [rows, actionWidth])
        }
        dict["reward"] = Tensor(floats: rewards)
        dict["terminated"] = Tensor(bools: terminated)
        dict["truncated"] = Tensor(bools: truncated)
        dict["extras"] = Tensor(floats: extras, shape: [rows, spec.extrasWidth])
        dict["key"] = Tensor(uint64s: keys)
        dict["insert_count"] = Tensor(scalar: Int64(inserted))
        dict["capacity"] = Tensor(scalar: Int64(capacity))
        if let limiter = rateLimiter {
            dict["rate_limiter.inserts"] = Tensor(scalar: Int64(limiter.inserts.load(ordering: .relaxed)))
            dict["rate_limiter.samples"] = Tensor(scalar: Int64(limiter.samples.load(ordering: .relaxed)))
        }
        dict.metadata["spec"] = "\(spec)"
        return dict
    }

    /// Restores contents and counters exported by `stateDict()` into this table, which must be
    /// empty and have the same spec and capacity. Every shape is checked before anything is written.
    public func loadStateDict(_ dict: StateDict) throws {
        guard claimed.load(ordering: .acquiring) == 0 else { throw ReplayError.incompatibleState("the table is not empty") }
        let exportedCapacity = try dict.integer("capacity")
        guard exportedCapacity == Int64(capacity) else {
            throw ReplayError.incompatibleState("saved capacity \(exportedCapacity) differs from this table's \(capacity)")
        }
        let keys = try dict.tensor("key").uint64s(name: "key")
        let rows = keys.count
        let obsSize = spec.observationSize
        func column(_ name: String, width: Int) throws -> [Float] {
            let values = try dict.tensor(name).floats(name: name)
            guard values.count == rows * width else {
                throw ReplayError.incompatibleState("'\(name)' holds \(values.count) values; \(rows) rows of width \(width) need \(rows * width)")
            }
            return values
        }
        let observation = try column("observation", width: obsSize)
        let next = try column("next_observation", width: obsSize)
        let rewards = try column("reward", width: 1)
        let extras = try column("extras", width: spec.extrasWidth)
        let terminated = try dict.tensor("terminated").bools(name: "terminated")
        let truncated = try dict.tensor("truncated").bools(name: "truncated")
        guard terminated.count == rows, truncated.count == rows else { throw ReplayError.incompatibleState("flag columns do not match \(rows) rows") }
        var actionIndices: [Int32] = []
        var actionValues: [Float] = []
        if discreteActions != nil {
            actionIndices = try dict.tensor("action").elements(Int32.self, expected: .int32, name: "action")
            guard actionIndices.count == rows else { throw ReplayError.incompatibleState("'action' does not match \(rows) rows") }
        } else {
            actionValues = try column("action", width: actionWidth)
        }
        let inserted = UInt64(try dict.integer("insert_count"))
        guard rows <= capacity, keys.allSatisfy({ $0 < inserted && inserted - $0 <= UInt64(capacity) }) else {
            throw ReplayError.incompatibleState("row keys do not fit insert_count \(inserted) and capacity \(capacity)")
        }
        for r in 0..<rows {
            let slot = Int(keys[r] % UInt64(capacity))
            word(slot, Self.keyWord).store(UInt32(truncatingIfNeeded: keys[r]), ordering: .relaxed)
            word(slot, Self.keyWord + 1).store(UInt32(truncatingIfNeeded: keys[r] >> 32), ordering: .relaxed)
            for j in 0..<obsSize {
                word(slot, Self.observationWord + j).store(observation[r * obsSize + j].bitPattern, ordering: .relaxed)
                word(slot, nextObservationWord + j).store(next[r * obsSize + j].bitPattern, ordering: .relaxed)
            }
            if discreteActions != nil {
                word(slot, actionWord).store(UInt32(bitPattern: actionIndices[r]), ordering: .relaxed)
            } else {
                for j in 0..<actionWidth { word(slot, actionWord + j).store(actionValues[r * actionWidth + j].bitPattern, ordering: .relaxed) }
            }
            word(slot, rewardWord).store(rewards[r].bitPattern, ordering: .relaxed)
            word(slot, flagsWord).store((terminated[r] ? 1 : 0) | (truncated[r] ? 2 : 0), ordering: .relaxed)
            for j in 0..<spec.extrasWidth { word(slot, extrasWord + j).store(extras[r * spec.extrasWidth + j].bitPattern, ordering: .relaxed) }
            word(slot, Self.stampWord).store(2, ordering: .releasing)
        }
        if let limiter = rateLimiter {
            limiter.inserts.store(UInt64((try? dict.integer("rate_limiter.inserts")) ?? Int64(inserted)), ordering: .relaxed)
            limiter.samples.store(UInt64((try? dict.integer("rate_limiter.samples")) ?? 0), ordering: .relaxed)
        }
        claimed.store(inserted, ordering: .releasing)
        completed.store(inserted, ordering: .releasing)
        gate.notify()
    }
}
