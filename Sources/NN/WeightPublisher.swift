import Atomics

/// An immutable copy of a network's parameters with a version number.
public final class ParameterSnapshot: AtomicReference, Sendable {
    public let version: Int
    public let parameters: [Float]
    public init(version: Int, parameters: [Float]) {
        self.version = version
        self.parameters = parameters
    }
}

/// Carries weights from the learner to the collectors: the learner publishes a new snapshot
/// every K updates; each collector picks up the newest one between its steps.
///
///     let publisher = WeightPublisher(initial: online)      // version 0
///     publisher.publish(online)                             // learner: copies, then one atomic store
///     publisher.latest(newerThan: seen)?.parameters         // collector: one atomic load
///
/// Neither side locks or waits: the snapshot is an immutable object behind an atomic strong
/// reference (swift-atomics' `ManagedAtomic` with `AtomicReference`), so a collector that
/// holds an older snapshot keeps it alive until it lets go. Publishing allocates one array
/// (every K updates, not per update).
public final class WeightPublisher: Sendable {
    private let current: ManagedAtomic<ParameterSnapshot>

    public init(initial network: MLP) {
        current = ManagedAtomic(ParameterSnapshot(version: 0, parameters: Array(network.parameters)))
    }

    /// Publishes a copy of `network`'s parameters as the next version.
    public func publish(_ network: MLP) {
        let previous = current.load(ordering: .relaxed)
        current.store(ParameterSnapshot(version: previous.version + 1, parameters: Array(network.parameters)),
                      ordering: .releasing)
    }

    /// Publishes a copy of `parameters` (e.g. restored from a checkpoint) as the next version.
    public func publish(parameters: [Float]) {
        let previous = current.load(ordering: .relaxed)
        current.store(ParameterSnapshot(version: previous.version + 1, parameters: parameters), ordering: .releasing)
    }

    /// The newest snapshot, or nil if its version is not newer than `version`.
    public func latest(newerThan version: Int) -> ParameterSnapshot? {
        let snapshot = current.load(ordering: .acquiring)
        return snapshot.version > version ? snapshot : nil
    }

    /// Copies the newest snapshot into `network` if it is newer than `seen` (an acting copy's
    /// pickup between steps), and records its version in `seen`.
    public func refresh(_ network: MLP, seen: inout Int) {
        guard let snapshot = latest(newerThan: seen) else { return }
        _ = snapshot.parameters.withUnsafeBufferPointer { network.parameters.update(fromContentsOf: $0) }
        seen = snapshot.version
    }

    public var version: Int { current.load(ordering: .acquiring).version }
}
