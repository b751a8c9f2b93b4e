import Foundation
#if canImport(Glibc)
import Glibc
import Shared
#endif

/// An environment that runs in another process, in any language, and speaks the bridge
/// protocol over the process's standard input and output. Python environments with
/// Gymnasium's API need two lines (`python/swiftrl_bridge.py`):
///
///     from swiftrl_bridge import serve
///     serve(gymnasium.make("CartPole-v1"))
///
/// and are registered by command:
///
///     var registry = EnvironmentRegistry.builtIn
///     try registry.register(try EnvironmentSpec.bridge(id: "MyCartPole-v0", command: ["python3", "my_env.py"],
///                                                      maxEpisodeSteps: 500))
///
/// or from a config, with `env.command`. Each environment is its own process, started on
/// its first `reset` (a `VectorEnvironment` of them steps them in parallel), and a process
/// that crashes or hangs ends the run with an error naming the environment, instead of
/// hanging it.
///
/// The protocol (all numbers little-endian):
/// 1. On start the process writes one line of JSON describing its spaces:
///    `{"protocol": 1, "observation": {"low": [...], "high": [...]}, "action": {"n": 2}}`, or
///    `"action": {"low": [...], "high": [...]}` for a continuous box; optionally
///    `"max_episode_steps": 500`, the time limit to apply when none is configured.
/// 2. Then it answers requests, one at a time. Requests are an opcode byte and arguments:
///    `R` (reset): u8 has-seed, u64 seed. `S` (step): i64 index, or one f32 per action
///    component. `Q`: quit.
/// 3. Each answer starts with `O` (ok) or `E` (error). `O` to a reset carries the observation
///    (one f32 per component); to a step the observation, then f64 reward, u8 terminated, u8
///    truncated. `E` carries u32 length and that many bytes of UTF-8 text (a traceback),
///    which becomes the Swift error's message.
///
/// A `ProcessEnvironment` is a handle: copies share one process (and must not be used from
/// two threads). Make one per environment, as the registry's factory does.
///
/// Failures are errors that name the command: a process that cannot start, a malformed
/// first line, spaces that differ from the registered ones, an answer that does not arrive
/// within `timeout` seconds (the process is then killed), a process that exits mid-episode
/// (with its exit status), and errors raised inside the environment.
public struct ProcessEnvironment: OverlappedStepping {
    public let observationSpace: Box
    public let actionSpace: Space
    /// The command and arguments that start the environment's process.
    public let command: [String]
    private let connection: BridgeConnection
    private var seedOnFirstReset: UInt64?

    /// An environment whose spaces are already known (from `BridgeSpaces.probe`); its process
    /// starts on the first `reset`. `seed` seeds that first reset when the caller gives none.
    public init(command: [String], spaces: BridgeSpaces, seed: UInt64? = nil, timeout: Double = 60) {
        precondition(timeout.isFinite && timeout >= 0.001, "timeout must be at least a millisecond")
        self.command = command
        observationSpace = spaces.observation
        actionSpace = spaces.action
        connection = BridgeConnection(command: command, expected: spaces, timeout: timeout)
        seedOnFirstReset = seed
    }

    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) throws {
        try checkBuffer(observation)
        let seed = seed ?? seedOnFirstReset
        seedOnFirstReset = nil
        connection.request.removeAll(keepingCapacity: true)
        connection.request.append(UInt8(ascii: "R"))
        connection.request.append(seed == nil ? 0 : 1)
        appendLittleEndian(seed ?? 0, to: &connection.request)
        if !connection.isRunning { try connection.start() }   // only a reset starts (or restarts) the process
        try connection.exchange(what: "reset", answerBytes: 4 * observation.count) { reader in
            try reader.readFloats("the observation", into: observation)
        }
    }

    public mutating func step(_ action: Action, observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        try checkBuffer(observation)   // before sending: a request must never go out without its answer being read
        try sendStep(action)
        return try receiveStep(observation: observation)
    }

    /// Sends the action (see `OverlappedStepping`): a vector of process environments sends all
    /// its actions before it waits for the first answer, so the processes step in parallel.
    public mutating func sendStep(_ action: Action) throws {
        connection.request.removeAll(keepingCapacity: true)
        connection.request.append(UInt8(ascii: "S"))
        switch actionSpace {
        case .discrete:
            let index = try actionSpace.discreteIndex(action, environment: connection.name)
            appendLittleEndian(UInt64(bitPattern: Int64(index)), to: &connection.request)
        case .box(let box):
            guard case .continuous(let values) = action, values.count == box.size else {
                throw EnvironmentError.invalidAction(environment: connection.name, detail: "expected \(box.size) continuous values")
            }
            for v in values { appendLittleEndian(v.bitPattern, to: &connection.request) }
        }
        try connection.send(what: "step")
    }

    /// Waits for the answer to the step sent last.
    public mutating func receiveStep(observation: UnsafeMutableBufferPointer<Float>) throws -> StepResult {
        try checkBuffer(observation)
        var result = StepResult(reward: 0, terminated: false)
        try connection.receive(what: "step", answerBytes: 4 * observation.count + 10) { reader in
            try reader.readFloats("the observation", into: observation)
            result.reward = try reader.readDouble("the reward")
            result.terminated = try reader.readFlag("the terminated flag")
            result.truncated = try reader.readFlag("the truncated flag")
        }
        return result
    }

    private func checkBuffer(_ observation: UnsafeMutableBufferPointer<Float>) throws {
        guard observation.count == observationSpace.size else {
            throw EnvironmentError.bufferSize(what: "observation buffer", expected: observationSpace.size, got: observation.count)
        }
    }
}

/// A bridged environment's process failed: it did not start, broke the protocol, went silent,
/// exited, or its environment raised an error (`detail` then holds its message or traceback).
public struct BridgeError: Error, CustomStringConvertible {
    /// The command, joined with spaces.
    public let command: String
    public let detail: String
    public var description: String { "bridged environment `\(command)`: \(detail)" }
}

/// The spaces a bridged process announces in its first line.
public struct BridgeSpaces: Sendable, Equatable {
    public var observation: Box
    public var action: Space
    /// The time limit the process announces (`"max_episode_steps"`, e.g. Gymnasium's registered
    /// one), if any.
    public var maxEpisodeSteps: Int?

    public init(observation: Box, action: Space, maxEpisodeSteps: Int? = nil) {
        self.observation = observation
        self.action = action
        self.maxEpisodeSteps = maxEpisodeSteps
    }

    /// Starts `command` once, reads its first line and stops it: what a registry needs to know
    /// before any environment is made.
    /// The answer is remembered for the life of this process: a config is validated when it is
    /// loaded and again when its run starts, and starting an interpreter can take a second.
    public static func probe(command: [String], timeout: Double = 60) throws -> BridgeSpaces {
        probeLock.lock()
        let known = probed[command]
        probeLock.unlock()
        if let known { return known }
        let connection = BridgeConnection(command: command, expected: nil, timeout: timeout)
        let spaces = try connection.start()
        probeLock.lock()
        probed[command] = spaces
        probeLock.unlock()
        return spaces
    }

    private static let probeLock = NSLock()
    nonisolated(unsafe) private static var probed: [[String]: BridgeSpaces] = [:]

    /// Parses the first line (`{"protocol": 1, "observation": {...}, "action": {...}}`).
    static func parse(_ line: Data, name: String) throws -> BridgeSpaces {
        func fail(_ detail: String) -> BridgeError {
            BridgeError(command: name, detail: "its first line must describe the spaces as JSON (\(detail)); it was: \(String(decoding: line.prefix(300), as: UTF8.self))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: line), let root = object as? [String: Any] else { throw fail("not a JSON object") }
        guard (root["protocol"] as? NSNumber)?.intValue == 1 else { throw fail("\"protocol\": 1 is missing; this side speaks version 1") }
        func floats(_ value: Any?, _ key: String) throws -> [Float] {
            guard let list = value as? [Any] else { throw fail("\(key) is not a list") }
            return try list.map { item in
                if let n = item as? NSNumber { return n.floatValue }
                if let s = item as? String, let f = Float(s) { return f }   // "inf", "-inf"
                throw fail("\(key) holds \(item), not a number")
            }
        }
        guard let observation = root["observation"] as? [String: Any] else { throw fail("no \"observation\" object") }
        let low = try floats(observation["low"], "observation.low"), high = try floats(observation["high"], "observation.high")
        guard !low.isEmpty, low.count == high.count else { throw fail("observation.low and .high must be non-empty and of equal length") }
        guard let action = root["action"] as? [String: Any] else { throw fail("no \"action\" object") }
        let actionSpace: Space
        if let number = action["n"] as? NSNumber {
            let n = number.intValue
            guard number.doubleValue == Double(n), n > 0 else { throw fail("action.n must be a positive integer") }
            guard n <= Space.maximumSize else { throw fail("action.n is \(number); at most \(Space.maximumSize) choices") }
            actionSpace = .discrete(Discrete(n))
        } else {
            let aLow = try floats(action["low"], "action.low"), aHigh = try floats(action["high"], "action.high")
            guard !aLow.isEmpty, aLow.count == aHigh.count else { throw fail("action needs \"n\", or \"low\" and \"high\" of equal length") }
            actionSpace = .box(Box(low: aLow, high: aHigh))
        }
        var limit: Int?
        if let value = root["max_episode_steps"], !(value is NSNull) {
            guard let n = (value as? NSNumber)?.intValue, n > 0 else { throw fail("max_episode_steps must be a positive integer or null") }
            limit = n
        }
        let observationSpace = Box(low: low, high: high)
        if let problem = Space.problem(observation: observationSpace, action: actionSpace) { throw fail(problem) }
        return BridgeSpaces(observation: observationSpace, action: actionSpace, maxEpisodeSteps: limit)
    }
}

extension EnvironmentSpec {
    /// Registers an environment that runs as `command` (see `ProcessEnvironment`). Starts the
    /// command once to read its spaces, so a command that does not start or speak the protocol
    /// fails here, at registration, with the reason. The time limit is `maxEpisodeSteps`, else
    /// the one the process announces, else none.
    public static func bridge(id: String, command: [String], maxEpisodeSteps: Int?, rewardThreshold: Double? = nil,
                              timeout: Double = 60) throws -> EnvironmentSpec {
        let spaces = try BridgeSpaces.probe(command: command, timeout: timeout)
        return EnvironmentSpec(id: id, maxEpisodeSteps: maxEpisodeSteps ?? spaces.maxEpisodeSteps, rewardThreshold: rewardThreshold,
                               summary: "runs as: \(command.joined(separator: " "))") { seed in
            ProcessEnvironment(command: command, spaces: spaces, seed: seed, timeout: timeout)
        }
    }
}

// MARK: - The connection

/// One child process and the socket its standard input and output are joined to. A class, so
/// that the process ends when the last copy of its environment goes away.
final class BridgeConnection: @unchecked Sendable {
    let command: [String]
    let name: String
    private let expected: BridgeSpaces?
    private let timeout: Double
    private var process: ChildProcess?
    private var socket: Int32 = -1
    /// Received bytes; `buffer[head..<tail]` are not yet consumed.
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var head = 0, tail = 0
    /// The kind (`R` or `S`) of a request whose answer has not been read yet.
    private var pending: UInt8?
    /// The request being built (reused: stepping allocates nothing once it has grown).
    var request: [UInt8] = []

    init(command: [String], expected: BridgeSpaces?, timeout: Double) {
        self.command = command
        name = command.joined(separator: " ")
        self.expected = expected
        self.timeout = timeout
    }

    deinit { stop() }

    /// Starts the process and reads its spaces; throws if they differ from the expected ones.
    @discardableResult
    func start() throws -> BridgeSpaces {
        guard !command.isEmpty else { throw BridgeError(command: name, detail: "the command is empty") }
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw BridgeError(command: name, detail: "socketpair failed: \(String(cString: strerror(errno)))")
        }
        // One process per environment: their numeric libraries must not each start a thread
        // pool. numpy's OpenBLAS pool spins while idle: it took 30% of this 2-core machine in
        // every Gymnasium process, doing nothing.
        var environment: [String: String] = [:]
        for key in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] where getenv(key) == nil { environment[key] = "1" }
        // Its own process group: a terminal's Ctrl-C reaches rl-train, which stops its
        // environments in order, not every environment process at once mid-step.
        let process: ChildProcess
        do {
            // `--`: a command word with `=` or a leading `-` is not env's.
            process = try ChildProcess(executable: "/usr/bin/env", arguments: ["--"] + command, standardInput: fds[1], standardOutput: fds[1],
                                       environment: environment)
        } catch {
            close(fds[0])
            close(fds[1])
            throw BridgeError(command: name, detail: "could not start: \(error)")
        }
        close(fds[1])
        self.process = process
        socket = fds[0]
        head = 0
        tail = 0
        pending = nil
        do {
            var line = Data()
            while true {
                // Starting an interpreter and importing its libraries can take seconds on a busy
                // machine: the first line gets at least 30 s whatever the per-step timeout.
                let byte = try readBytes(1, what: "the first line (its spaces)", timeout: max(timeout, 30)).first!
                if byte == UInt8(ascii: "\n") { break }
                line.append(byte)
                if line.count > 1 << 20 { throw BridgeError(command: name, detail: "its first line is over 1 MiB; is it printing to stdout?") }
            }
            let spaces = try BridgeSpaces.parse(line, name: name)
            if let expected, expected != spaces {
                throw BridgeError(command: name, detail: "it announced observation \(spaces.observation), action \(spaces.action) and time limit \(spaces.maxEpisodeSteps.map(String.init) ?? "none"), but was registered with observation \(expected.observation), action \(expected.action) and time limit \(expected.maxEpisodeSteps.map(String.init) ?? "none")")
            }
            if expected == nil { stop() }   // a probe: the spaces were all it was for
            return spaces
        } catch {
            stop()   // a process that failed its start is not kept, and not used again
            throw error
        }
    }

    var isRunning: Bool { process != nil }

    /// Sends one request and parses the answer of `answerBytes` bytes with `parse` (after its
    /// `O`); an `E` answer becomes a `BridgeError` with the process's message.
    func exchange(what: String, answerBytes: Int, parse: (inout ByteReader) throws -> Void) throws {
        try send(what: what)
        try receive(what: what, answerBytes: answerBytes, parse: parse)
    }

    /// Sends `request`. An answer still unread from an earlier request (its caller failed
    /// before reading it, e.g. a vector step that stopped at another environment's error) is
    /// read and dropped first, so answers never pair with the wrong request.
    func send(what: String) throws {
        guard process != nil else {
            throw BridgeError(command: name, detail: "cannot \(what): the process is not running (it ended or failed earlier); reset to start a new one")
        }
        if let kind = pending { try discardAnswer(to: kind) }
        try request.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = Glibc.send(socket, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ended(during: what, detail: "writing the request failed: \(String(cString: strerror(errno)))")
                }
                sent += n
            }
        }
        pending = request.first
    }

    /// Reads and drops the answer to an earlier request of kind `kind` (`R` or `S`), an error
    /// answer included: nobody is waiting for it any more.
    private func discardAnswer(to kind: UInt8) throws {
        pending = nil
        let what = "an earlier request"
        if try readStatus(answering: what) == nil {
            _ = try readBytes(4 * (expected?.observation.size ?? 0) + (kind == UInt8(ascii: "S") ? 10 : 0), what: what)
        }
    }

    /// Reads one answer of `answerBytes` bytes (after its `O`) in one piece and parses it with
    /// `parse`; `E` becomes a `BridgeError`. A field the parse refuses (a flag other than 0 or 1)
    /// means the byte stream cannot be trusted, so the process is stopped.
    func receive(what: String, answerBytes: Int, parse: (inout ByteReader) throws -> Void) throws {
        guard process != nil else { throw BridgeError(command: name, detail: "\(what): the process is not running") }
        pending = nil
        if let text = try readStatus(answering: what) {
            throw BridgeError(command: name, detail: "the environment raised an error during \(what):\n\(text)")
        }
        let answer = try readBytes(answerBytes, what: what)
        do {
            // The reader's error captures nothing, so a step allocates no closure context.
            try answer.withUnsafeBytes { bytes in
                var reader = ByteReader(bytes) { MalformedAnswer(detail: $0) }
                try parse(&reader)
            }
        } catch let malformed as MalformedAnswer {
            stop()
            throw BridgeError(command: name, detail: "the answer to \(what) is malformed: \(malformed.detail); the protocol is out of step (the process was stopped)")
        }
    }

    /// A field of an answer the reader refused.
    private struct MalformedAnswer: Error {
        let detail: String
    }

    /// Reads an answer's first byte: nil for `O` (its payload follows), the message for `E`.
    /// Anything else, or an absurd message length, means the byte stream cannot be
    /// resynchronised, so the process is stopped.
    private func readStatus(answering what: String) throws -> String? {
        let status = try readBytes(1, what: "the answer to \(what)").first!
        switch status {
        case UInt8(ascii: "O"):
            return nil
        case UInt8(ascii: "E"):
            let length = try readLittleEndian(UInt32.self, what: what)
            guard length < 1 << 24 else {
                stop()
                throw BridgeError(command: name, detail: "an error message of \(length) bytes; the protocol is out of step (the process was stopped)")
            }
            return String(decoding: try readBytes(Int(length), what: "the error message of \(what)"), as: UTF8.self)
        default:
            stop()
            throw BridgeError(command: name, detail: "answered \(what) with byte \(status), not O or E; is it printing to stdout? (the process was stopped)")
        }
    }

    func readLittleEndian<T: FixedWidthInteger>(_: T.Type, what: String) throws -> T {
        try readBytes(MemoryLayout<T>.size, what: what).withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
    }

    /// Reads exactly `count` bytes, waiting at most `timeout` seconds for each arrival. Reads
    /// are buffered: one `recv` usually brings a whole answer, where a call per field cost
    /// five round trips through the kernel per step.
    func readBytes(_ count: Int, what: String, timeout: Double? = nil) throws -> ArraySlice<UInt8> {
        let timeout = timeout ?? self.timeout
        if head == tail { head = 0; tail = 0 }
        if buffer.count - head < count {
            // Not enough room after `head`: move what is buffered to the front (and grow).
            let pending = Array(buffer[head..<tail])
            if buffer.count < count { buffer = [UInt8](repeating: 0, count: max(count, 2 * buffer.count)) }
            buffer.replaceSubrange(0..<pending.count, with: pending)
            head = 0
            tail = pending.count
        }
        while tail - head < count {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(timeout * 1000, Double(Int32.max))))
            if ready < 0 {
                if errno == EINTR { continue }
                throw ended(during: what, detail: "poll failed: \(String(cString: strerror(errno)))")
            }
            if ready == 0 {
                let seconds = timeout
                stop()
                throw BridgeError(command: name, detail: "no answer within \(seconds) s while waiting for \(what); the process was stopped")
            }
            let room = buffer.count - tail
            let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + tail, room, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ended(during: what, detail: "reading failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw ended(during: what, detail: nil) }
            tail += n
        }
        defer { head += count }
        return buffer[head..<(head + count)]
    }

    /// The error for a process that went away, with its exit status when it has one.
    private func ended(during what: String, detail: String?) -> BridgeError {
        var status = "it closed its output"
        if let process {
            // Give an exiting process a moment to be reaped, so the status can be reported.
            for _ in 0..<200 where process.isRunning { usleep(10_000) }   // up to 2 s: EOF means it is exiting
            if let end = process.poll() { status = "\(end)" }
        }
        stop()
        return BridgeError(command: name, detail: "\(status) while we waited for \(what)\(detail.map { " (\($0))" } ?? ""); its standard error is above")
    }

    /// Asks the process to quit, closes the socket, and kills the process if it lingers.
    func stop() {
        if socket >= 0 {
            var quit = UInt8(ascii: "Q")
            _ = Glibc.send(socket, &quit, 1, Int32(MSG_NOSIGNAL))
            close(socket)
            socket = -1
        }
        guard let process else { return }
        self.process = nil
        for _ in 0..<100 where process.isRunning { usleep(1_000) }
        if process.isRunning {
            process.signal(SIGTERM)
            for _ in 0..<100 where process.isRunning { usleep(1_000) }
            if process.isRunning { process.signal(SIGKILL) }
            process.wait()
        }
    }
}

@inline(__always)
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}
