import Shared

/// A request to stop, made by whoever owns the process and observed by the library code that
/// runs for long: a run, a sweep, a remote collector. `rl-train` requests it on SIGINT and
/// SIGTERM (the one place that handles signals); a program that embeds a run keeps its own
/// signal handling and requests a stop when it wants one, from any thread.
///
///     let stop = StopRequest()
///     var options = RunOptions()
///     options.stop = stop
///     // elsewhere, when the program wants the run to end with a final checkpoint:
///     stop.request()
///
/// Requests are counted: a sweep asks its runs for a final checkpoint at the first and ends
/// them at a later one.
public final class StopRequest: Sendable {
    private struct State {
        var count = 0
        var nextID = 0
        var observers: [(id: Int, body: @Sendable (Int) -> Void)] = []
    }
    private let state = Locked(State())

    public init() {}

    /// The requests made so far.
    public var count: Int { state.withLock { $0.count } }
    public var isRequested: Bool { count > 0 }

    /// One more request: every observer runs with the new count, on this thread.
    public func request() {
        let (count, observers) = state.withLock { s -> (Int, [@Sendable (Int) -> Void]) in
            s.count += 1
            return (s.count, s.observers.map(\.body))
        }
        for body in observers { body(count) }
    }

    /// Runs `body` with the count at every request from now on, and at once (on this thread)
    /// when requests came before; until `cancel()` on what it returns.
    public func observe(_ body: @escaping @Sendable (Int) -> Void) -> Observation {
        let (id, count) = state.withLock { s -> (Int, Int) in
            s.nextID += 1
            s.observers.append((s.nextID, body))
            return (s.nextID, s.count)
        }
        if count > 0 { body(count) }
        return Observation(request: self, id: id)
    }

    /// An observer's registration.
    public final class Observation: Sendable {
        private let request: StopRequest
        private let id: Int
        init(request: StopRequest, id: Int) {
            self.request = request
            self.id = id
        }
        /// Ends the observation: its body runs no more.
        public func cancel() { request.state.withLock { $0.observers.removeAll { $0.id == self.id } } }
    }
}
