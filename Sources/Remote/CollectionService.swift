#if Remote
import GRPCCore

/// The gRPC service remote collectors call, versioned by its name: `swiftrl.remote.v1.Collection`.
///
/// - `Describe` (unary): what the learner runs: its epoch, run id and config.
/// - `Register` (unary): a collector joins with its run id, transition spec and incarnation;
///   a wrong run id or spec is refused (`failedPrecondition`, naming both sides).
/// - `Insert` (bidirectional stream): batches of transitions in, one acknowledgement out per batch.
///   The learner reads the next batch only once the rate limiter admits inserts, so HTTP/2 flow
///   control slows the collector down when the learner is behind.
/// - `Weights` (bidirectional stream): the collector asks with the version it has, the learner
///   answers with its newest version once there is a newer one. One snapshot is in flight at a
///   time, so a slow collector skips versions instead of queueing old ones.
enum CollectionService {
    static let descriptor = ServiceDescriptor(fullyQualifiedService: "swiftrl.remote.v1.Collection")
    static let describe = MethodDescriptor(service: descriptor, method: "Describe")
    static let register = MethodDescriptor(service: descriptor, method: "Register")
    static let insert = MethodDescriptor(service: descriptor, method: "Insert")
    static let weights = MethodDescriptor(service: descriptor, method: "Weights")
}
#endif
