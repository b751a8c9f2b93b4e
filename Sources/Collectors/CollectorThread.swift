import StateDictIO

/// What a run does with a collector, whatever it feeds (a replay table, `ReplayCollector`; a
/// rollout, `RolloutCollector`): start it on its own thread, join it, and checkpoint it while
/// it is at rest.
public protocol CollectorThread: AnyObject {
    /// Starts collecting on a new thread, until a stop is requested or its memory closes.
    func start()
    /// Waits for the thread started by `start()` to end.
    func join()
    /// The collector's own state (random stream, environments, agent, ...), read only while it is at rest.
    func stateDict() -> StateDict
    /// Restores `stateDict()`; without environment snapshots the environments start new
    /// episodes seeded from `resumeSeed`.
    func loadStateDict(_ dict: StateDict, resumeSeed: UInt64) throws
    /// For a resume without this collector's state: start new episodes seeded from `seed`.
    func startNewEpisodes(seed: UInt64)
}
