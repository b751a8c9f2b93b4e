import Foundation
import Memory

/// The thread a collector's loop runs on, started and joined once: a memory closed under it
/// (`ReplayError.closed`, shutdown) ends it quietly; any other error goes to `failed`.
final class CollectorLoopThread {
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    func start(name: String, loop: @escaping @Sendable () throws -> Void, failed: @escaping @Sendable (any Error) -> Void) {
        let thread = Thread { [finished] in
            do { try loop() } catch ReplayError.closed {
                // Shutdown: the memory was closed while the collector waited or wrote.
            } catch {
                failed(error)
            }
            finished.signal()
        }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    /// Waits for the started thread to end (returns at once when none was started).
    func join() {
        guard thread != nil else { return }
        finished.wait()
        thread = nil
    }
}
