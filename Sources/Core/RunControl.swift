import Atomics
import Foundation
import Shared

/// A run's shared control: its counters (environment steps, finished episodes and their recent
/// returns), the stream of finished episodes, the stop request to the collectors, and the first
/// error a collector hit. Collector threads (in this process or behind a remote service) write
/// it; the trainer, the loggers and the progress display read it.
public final class RunControl: Sendable {
    private let steps = ManagedAtomic<Int>(0)
    private let episodeCount = ManagedAtomic<Int>(0)
    private let recent: Locked<RecentEpisodes>
    private let firstError = Locked<String?>(nil)
    private let stopFlag = ManagedAtomic<Bool>(false)
    private let subscribers = Locked<[EpisodeLog]>([])

    struct RecentEpisodes {
        var returns: [Double] = []
        var lengths: [Int] = []
        var next = 0
        let window: Int
    }

    /// Keeps the last `window` episodes for the recent mean.
    public init(window: Int = 100) { recent = Locked(RecentEpisodes(window: window)) }

    /// Environment steps taken by all collectors.
    public var environmentSteps: Int { steps.load(ordering: .relaxed) }
    /// Episodes finished by all collectors.
    public var episodes: Int { episodeCount.load(ordering: .relaxed) }

    public func addSteps(_ n: Int) { steps.wrappingIncrement(by: n, ordering: .relaxed) }

    /// Restores the step count (resume).
    public func setEnvironmentSteps(_ n: Int) { steps.store(n, ordering: .relaxed) }

    /// Restores the episode count (resume).
    public func setEpisodes(_ n: Int) { episodeCount.store(n, ordering: .relaxed) }

    /// A new log of every episode finished from now on (loggers of training episodes); each
    /// subscriber drains its own.
    public func subscribeEpisodes() -> EpisodeLog {
        let log = EpisodeLog()
        subscribers.withLock { $0.append(log) }
        return log
    }

    /// An episode ended during the current vector step of `vectorSteps` environment steps, which
    /// `addSteps` has not counted yet: its step stamp includes them.
    public func recordEpisode(return value: Double, length: Int, vectorSteps: Int = 0) {
        episodeCount.wrappingIncrement(ordering: .relaxed)
        let logs = subscribers.withLock { $0 }
        if !logs.isEmpty {
            let episode = FinishedEpisode(return: value, length: length, environmentSteps: environmentSteps + vectorSteps, time: ContinuousClock.now)
            for log in logs { log.append(episode) }
        }
        recent.withLock { r in
            if r.returns.count < r.window {
                r.returns.append(value)
                r.lengths.append(length)
            } else {
                r.returns[r.next] = value
                r.lengths[r.next] = length
            }
            r.next = (r.next + 1) % r.window
        }
    }

    /// Mean return of the recent episodes (nil before the first one ends).
    public var recentMeanReturn: Double? {
        recent.withLock { r in r.returns.isEmpty ? nil : r.returns.reduce(0, +) / Double(r.returns.count) }
    }

    /// Records the first failure and asks every collector to stop.
    public func fail(_ message: String) {
        firstError.withLock { if $0 == nil { $0 = message } }
        requestStop()
    }

    /// The first collector failure, if any.
    public var error: String? { firstError.withLock { $0 } }

    /// Asks the collectors to stop after their current step.
    public func requestStop() { stopFlag.store(true, ordering: .relaxed) }
    public var stopRequested: Bool { stopFlag.load(ordering: .relaxed) }
}

/// A training episode as its collector finished it.
public struct FinishedEpisode: Sendable, Equatable {
    public var `return`: Double
    public var length: Int
    /// The collectors' step count when it ended.
    public var environmentSteps: Int
    public var time: ContinuousClock.Instant
}

/// The episodes finished since the subscriber last drained them.
public final class EpisodeLog: Sendable {
    private let pending = Locked<[FinishedEpisode]>([])
    func append(_ episode: FinishedEpisode) { pending.withLock { $0.append(episode) } }
    /// Takes every episode finished since the last call, oldest first.
    public func drain() -> [FinishedEpisode] { pending.withLock { episodes in defer { episodes.removeAll(keepingCapacity: true) }; return episodes } }
}
