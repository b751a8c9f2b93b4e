/// What goes wrong between collectors and a learner, said so that the reader knows where.
public enum RemoteError: Error, CustomStringConvertible {
    case cannotListen(host: String, port: Int, detail: String)
    /// The learner refused this collector for good (another run, another transition spec, another protocol).
    case refused(learner: String, detail: String)
    /// A peer broke the protocol.
    case protocolViolation(String)
    /// No learner answered for the whole of the collector's patience.
    case learnerGone(learner: String, seconds: Double, lastError: String)
    /// The collector's own run failed (an environment error, an invalid action).
    case collectorFailed(String)
    /// The learner's address is not HOST:PORT.
    case badAddress(String)
    /// A signal stopped the collector before it joined.
    case stopped

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let detail): return "cannot serve remote collectors on \(host):\(port): \(detail)"
        case .refused(let learner, let detail): return "the learner at \(learner) refused this collector: \(detail)"
        case .protocolViolation(let detail): return "protocol violation: \(detail)"
        case .learnerGone(let learner, let seconds, let lastError):
            return "no learner answered at \(learner) for \(Int(seconds)) s (last error: \(lastError))"
        case .collectorFailed(let detail): return "collection failed: \(detail)"
        case .badAddress(let address): return "'\(address)' is not a learner's address: give HOST:PORT (e.g. 10.0.0.1:50051)"
        case .stopped: return "stopped before joining the learner"
        }
    }
}
