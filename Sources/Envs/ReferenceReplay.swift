import Foundation

/// The replay protocol of the Gymnasium reference trajectories (`shared/reference/README.md`):
/// one JSON request in, one JSON line per step out.
///
/// Request: `{"env_id": "...", "initial_state": [...], "actions": [...], "max_episode_steps": N}`
/// (other keys ignored). The environment is made with its default time limit, reset, its state
/// set to `initial_state`, and stepped with each action until the first step that terminates or
/// truncates. Each step prints `{"obs": [...], "reward": r, "terminated": b, "truncated": b}`.
///
/// With `"seed": s` instead of `initial_state`, the environment is reset as Gymnasium's
/// `reset(seed=s)` and the first line is `{"reset_obs": [...]}`. For a MuJoCo task the state is
/// qpos then qvel (as right after Gymnasium's reset), and observations are printed in float64,
/// as Gymnasium returns them.
public struct ReferenceReplay {
    /// One parsed request.
    public struct Request {
        public var environmentID: String
        /// The state to start from; nil when the request gives a reset seed instead.
        public var initialState: [Double]?
        /// Gymnasium's `reset(seed=)`; used when there is no initial state.
        public var seed: UInt64?
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
        /// The observation in float64, for environments that compute it so (MuJoCo tasks).
        public var observation64: [Double]?
        public var reward: Double
        public var terminated: Bool
        public var truncated: Bool

        public init(observation: [Float], observation64: [Double]? = nil, reward: Double, terminated: Bool, truncated: Bool) {
            self.observation = observation
            self.observation64 = observation64
            self.reward = reward
            self.terminated = terminated
            self.truncated = truncated
        }

        /// The JSON line of the protocol (shortest round-trip float formatting).
        public var jsonLine: String {
            "{\"obs\": \(observationText), \"reward\": \(reward), \"terminated\": \(terminated), \"truncated\": \(truncated)}"
        }

        var observationText: String {
            "[" + (observation64.map { $0.map { "\($0)" } } ?? observation.map { "\($0)" }).joined(separator: ", ") + "]"
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
        var initial_state: [Double]?
        var seed: UInt64?
        var actions: [WireAction]
        var request: Request {
            get throws {
                guard initial_state != nil || seed != nil else { throw RequestError.missingField("initial_state") }
                return Request(environmentID: env_id, initialState: initial_state, seed: seed, actions: actions.map(\.action))
            }
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
    /// terminates or truncates. `onStep` sees each record as it is produced; `onReset` sees the
    /// reset observation of a request that gives a seed.
    @discardableResult
    public func run(_ request: Request, onReset: (String) -> Void = { _ in }, onStep: (StepRecord) -> Void = { _ in }) throws -> [StepRecord] {
        var env = try registry.make(request.environmentID, seed: request.seed ?? 0)
        let observation = UnsafeMutableBufferPointer<Float>.allocate(capacity: env.observationSpace.size)
        defer { observation.deallocate() }
        if let initialState = request.initialState {
            guard var overridable = env as? any StateOverridable else {
                throw EnvironmentError.invalidState(environment: request.environmentID,
                                                    detail: "this environment does not allow setting its state; give \"seed\" instead")
            }
            try overridable.reset(seed: 0, observation: observation)
            try overridable.overrideState(initialState)
            env = overridable
        } else {
            try env.reset(seed: request.seed, observation: observation)
            let record = StepRecord(observation: Array(observation), observation64: (env as? any DoublePrecisionObservations)?.lastObservation,
                                    reward: 0, terminated: false, truncated: false)
            onReset("{\"reset_obs\": \(record.observationText)}")
        }
        var records: [StepRecord] = []
        for action in request.actions {
            let result: StepResult
            switch action {
            case .discrete(let index):
                result = try env.step(.discrete(index), observation: observation)
            case .continuous(let values):
                result = try values.withUnsafeBufferPointer { try env.step(.continuous($0), observation: observation) }
            }
            let record = StepRecord(observation: Array(observation), observation64: (env as? any DoublePrecisionObservations)?.lastObservation,
                                    reward: result.reward, terminated: result.terminated, truncated: result.truncated)
            records.append(record)
            onStep(record)
            if result.isDone { break }
        }
        return records
    }
}
