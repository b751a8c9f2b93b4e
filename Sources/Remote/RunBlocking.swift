#if Remote
import Dispatch
import Shared

/// Runs async work from synchronous code (the command line's main thread, `Experiment.run`'s
/// calls into the service) and waits for it. Call it from a thread of its own, never from a
/// task: it blocks the calling thread.
public func runBlocking<R: Sendable>(_ work: @escaping @Sendable () async throws -> R) throws -> R {
    let result = Locked<Result<R, Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            let value = try await work()
            result.withLock { $0 = .success(value) }
        } catch {
            result.withLock { $0 = .failure(error) }
        }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}
#endif
