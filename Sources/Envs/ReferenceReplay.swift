import Foundation

/// The replay protocol of the Gymnasium reference trajectories (`shared/reference/README.md`):
/// one JSON request in, one JSON line per step out.
///
/// Request: `{"env_id": "...", "initial_state": [...], "actions": [...], "max_episode_steps": N}`
/// (other keys ignored). The environment is made with its default time limit, reset, its state
/// set to `initial_state`, and stepped with each action until the first step that terminates or
/// truncates. Each step prints `{"obs": [...], "reward": r, "terminated": b, "truncated": b}`.
public struct ReferenceReplay {
    /// One parsed request.
    public struct Request {
        public var environmentID: String
        public var initialState: [Double]
        public var actions: [ReplayAction]
    }

    /// One recorded action: an index or a vector of float32 values.
    public enum ReplayAction: Equatable {
        case discrete(Int)
        case continuous([Float])
    }

    /// One step's outcome, as printed.
    public struct StepRecord: Equatable {
        public var observation: [Float]
        public var reward: Double
        public var terminated: Bool
        public var truncated: Bool

        public init(observation: [Float], reward: Double, terminated: Bool, truncated: Bool) {
            self.observation = observation
            self.reward = reward
            self.terminated = terminated
            self.truncated = truncated
        }

        /// The JSON line of the protocol (shortest round-trip float formatting).
        public var jsonLine: String {
            let obs = observation.map { "\($0)" }.joined(separator: ", ")
            return "{\"obs\": [\(obs)], \"reward\": \(reward), \"terminated\": \(terminated), \"truncated\": \(truncated)}"
        }
    }

    /// Errors in a request, naming the field at fault.
    public enum RequestError: Error, CustomStringConvertible {
        case notJSON(String)
        case missingField(String)
        case wrongType(field: String, expected: String)

        public var description: String {
            switch self {
            case .notJSON(let detail): return "replay request is not a JSON object: \(detail)"
            case .missingField(let field): return "replay request lacks the field '\(field)'"
            case let .wrongType(field, expected): return "replay request field '\(field)': expected \(expected)"
            }
        }
    }

    public let registry: EnvironmentRegistry

    public init(registry: EnvironmentRegistry = .builtIn) { self.registry = registry }

    /// Parses a request from its JSON bytes.
    ///
    /// Numbers go through `JSONDecoder`, which rounds decimal text to the nearest double;
    /// (corelibs' `JSONSerialization` can be off by an ulp, which ruins a bit-exact replay).
    public static func parseRequest(_ data: Data) throws -> Request {
        do {
            return try JSONDecoder().decode(WireRequest.self, from: data).request
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, _):
                throw RequestError.missingField(key.stringValue)
            case .typeMismatch(_, let context), .valueNotFound(_, let context):
                throw RequestError.wrongType(field: fieldPath(context.codingPath), expected: context.debugDescription)
            case .dataCorrupted(let context):
                throw RequestError.notJSON(context.underlyingError.map { "\($0)" } ?? context.debugDescription)
            @unknown default:
                throw RequestError.notJSON("\(error)")
            }
        }
    }

    private static func fieldPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }

    private struct WireRequest: Decodable {
        var env_id: String
        var initial_state: [Double]
        var actions: [WireAction]
        var request: Request {
            Request(environmentID: env_id, initialState: initial_state, actions: actions.map(\.action))
        }
    }

    private struct WireAction: Decodable {
        var action: ReplayAction
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let index = try? container.decode(Int.self) {
                action = .discrete(index)
            } else if let values = try? container.decode([Double].self) {
                action = .continuous(values.map { Float($0) })
            } else {
                throw DecodingError.typeMismatch(
                    ReplayAction.self,
                    .init(codingPath: decoder.codingPath, debugDescription: "an integer or a list of numbers"))
            }
        }
    }

    /// Replays a request and returns one record per step, stopping after the first step that
    /// terminates or truncates. `onStep` sees each record as it is produced.
    @discardableResult
    public func run(_ request: Request, onStep: (StepRecord) -> Void = { _ in }) throws -> [StepRecord] {
        guard var env = try registry.make(request.environmentID, seed: 0) as? any StateOverridable else {
            throw EnvironmentError.invalidState(environment: request.environmentID,
                                                detail: "this environment does not allow setting its state")
        }
        let observation = UnsafeMutableBufferPointer<Float>.allocate(capacity: env.observationSpace.size)
        defer { observation.deallocate() }
        try env.reset(seed: 0, observation: observation)
        try env.overrideState(request.initialState)
        var records: [StepRecord] = []
        for action in request.actions {
            let result: StepResult
            switch action {
            case .discrete(let index):
                result = try env.step(.discrete(index), observation: observation)
            case .continuous(let values):
                result = try values.withUnsafeBufferPointer { try env.step(.continuous($0), observation: observation) }
            }
            let record = StepRecord(observation: Array(observation), reward: result.reward,
                                    terminated: result.terminated, truncated: result.truncated)
            records.append(record)
            onStep(record)
            if result.isDone { break }
        }
        return records
    }
}
