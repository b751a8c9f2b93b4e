import CSupport
#if canImport(Glibc)
import Glibc
#endif

/// A child process, started with `posix_spawn` and reaped with `waitpid`: the one way this
/// package starts processes (a sweep's runs and its Ray driver, a bridged environment).
///
/// Written by hand rather than with Foundation's `Process` or swift-subprocess: the children
/// need their own process group (a terminal's Ctrl-C then reaches only rl-train, which stops
/// them in order: a sweep forwards one SIGINT to its runs, a run quits its environments), the
/// signals the parent handles reset to their defaults, and a non-blocking poll from a
/// synchronous loop; Foundation learns of an exit through a descriptor that a grandchild may
/// keep open, and swift-subprocess is asynchronous throughout.
///
///     let child = try ChildProcess(executable: "/usr/bin/env", arguments: ["--", "python3", "env.py"],
///                                  standardInput: socket, standardOutput: socket)
///     if let end = child.poll() { print(end) }   // nil while it runs
public final class ChildProcess {
    /// How a child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        /// The shell's convention: the exit status, or 128 + the signal number.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): return status
            case .signalled(let number): return 128 + number
            }
        }
        public var description: String {
            switch self {
            case .exited(let status): return "it exited with status \(status)"
            case .signalled(let number): return "it was killed by signal \(number)"
            }
        }
    }

    public let pid: pid_t
    private var termination: Termination?

    /// Starts `executable` (a path; use /usr/bin/env to search PATH) with `arguments`. Its
    /// standard input and output are the given descriptors (else inherited), or its output and
    /// error go to the end of `logFile`; `environment` entries are added to this process's. It
    /// gets its own process group unless `ownProcessGroup` is false, no blocked signals, and the
    /// default action for SIGINT, SIGTERM and SIGHUP (unless this process ignores them: an
    /// ignored SIGHUP, as under nohup, stays ignored).
    public init(executable: String, arguments: [String], standardInput: Int32? = nil, standardOutput: Int32? = nil,
                logFile: String? = nil, environment: [String: String] = [:], ownProcessGroup: Bool = true) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let standardInput { posix_spawn_file_actions_adddup2(&actions, standardInput, 0) }
        if let standardOutput { posix_spawn_file_actions_adddup2(&actions, standardOutput, 1) }
        if let logFile {
            posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Nothing else of ours reaches the child (a run's open files, a listening socket), as
        // Foundation's Process closes every descriptor above 2 too.
        _ = rl_spawn_actions_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP] {
            var current = sigaction()
            sigaction(number, nil, &current)
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) != 1 { sigaddset(&defaults, number) }   // 1: SIG_IGN
        }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") { variables[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            entry += 1
        }
        for (key, value) in environment { variables[key] = value }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw ChildProcessError(executable: executable, detail: "cannot start: \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// How the child ended, once it has; nil while it runs.
    public func poll() -> Termination? { reap(WNOHANG) }

    public var isRunning: Bool { poll() == nil }

    /// Waits for the child to end.
    @discardableResult public func wait() -> Termination { reap(0) ?? .exited(255) }

    /// Sends signal `number` (nothing once the child has been reaped: its pid may be another
    /// process's by then).
    public func signal(_ number: Int32) {
        if poll() == nil { kill(pid, number) }
    }

    /// Runs `executable` to its end and returns how it ended with what it wrote to its standard
    /// output (at most `limit` bytes are kept; its standard error is inherited).
    ///
    ///     let (status, text) = try ChildProcess.output(of: "/usr/bin/env", arguments: ["--", "python3", "--version"])
    public static func output(of executable: String, arguments: [String], limit: Int = 1 << 20) throws -> (Termination, String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ChildProcessError(executable: executable, detail: "cannot make a pipe: \(String(cString: strerror(errno)))") }
        let child: ChildProcess
        do {
            child = try ChildProcess(executable: executable, arguments: arguments, standardOutput: fds[1])
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if bytes.count < limit { bytes += chunk[0..<min(n, limit - bytes.count)] }
        }
        close(fds[0])
        return (child.wait(), String(decoding: bytes, as: UTF8.self))
    }

    private func reap(_ options: Int32) -> Termination? {
        if let termination { return termination }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, options)
        if result == 0 { return nil }
        if result != pid {
            if errno == EINTR { return options == 0 ? reap(options) : nil }
            // Already reaped elsewhere (or SIGCHLD ignored): the child is gone, its status unknown.
            termination = .exited(255)
            return termination
        }
        let number = raw & 0x7f
        termination = number == 0 ? .exited((raw >> 8) & 0xff) : .signalled(number)
        return termination
    }
}

/// A child process that could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let executable: String
    public let detail: String
    public var description: String { "\(executable): \(detail)" }
}
