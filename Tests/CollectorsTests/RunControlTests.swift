import Collectors
import Core
import Foundation
import Testing

/// What collector threads report to the learner side: step and episode counts, the recent
/// mean over a window, episodes stamped with the step that ended them and delivered to every
/// subscriber once, and the first failure. Runs under ThreadSanitizer in CI.
@Suite struct RunControlTests {
    @Test func episodesReachEverySubscriberOnceStampedWithTheirStep() {
        let statistics = RunControl(window: 3)
        #expect(statistics.recentMeanReturn == nil)
        let early = statistics.subscribeEpisodes()
        statistics.addSteps(10)
        statistics.recordEpisode(return: 1, length: 10)
        let late = statistics.subscribeEpisodes()   // sees only what ends after it subscribed
        statistics.recordEpisode(return: 2, length: 4, vectorSteps: 8)   // ended in a vector step not counted yet
        statistics.addSteps(8)
        #expect(early.drain().map(\.environmentSteps) == [10, 18])
        #expect(early.drain().isEmpty, "drained episodes are gone")
        #expect(late.drain().map(\.return) == [2])
        // The window keeps the newest three.
        for r in [3.0, 4, 5] { statistics.recordEpisode(return: r, length: 1) }
        #expect(statistics.recentMeanReturn == 4)
        #expect(statistics.episodes == 5 && statistics.environmentSteps == 18)
        #expect(early.drain().map(\.return) == [3, 4, 5])
    }

    /// Four collector threads record episodes and steps at once: every count adds up, and each
    /// subscriber gets every episode exactly once.
    @Test func countsAddUpAcrossCollectorThreads() {
        let statistics = RunControl(window: 10_000)
        let log = statistics.subscribeEpisodes()
        let threads = 4, perThread = 2_000
        let done = DispatchGroup()
        for t in 0..<threads {
            done.enter()
            Thread {
                for i in 0..<perThread {
                    statistics.addSteps(3)
                    statistics.recordEpisode(return: Double(t * perThread + i), length: 3)
                }
                done.leave()
            }.start()
        }
        done.wait()
        #expect(statistics.environmentSteps == 3 * threads * perThread && statistics.episodes == threads * perThread)
        let returns = log.drain().map { Int($0.return) }
        #expect(returns.count == threads * perThread && Set(returns).count == threads * perThread)
        #expect(statistics.recentMeanReturn == Double(threads * perThread - 1) / 2)
    }

    @Test func aStopRequestIsSeenByEveryCollector() {
        let statistics = RunControl()
        #expect(!statistics.stopRequested && statistics.error == nil)
        statistics.requestStop()
        #expect(statistics.stopRequested && statistics.error == nil, "a stop is not a failure")
    }
}
