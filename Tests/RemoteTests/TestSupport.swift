import Foundation

/// A value handed to another thread by a test that knows only that thread uses it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Runs blocking work on a thread of its own, off Swift concurrency's few threads.
func onThread(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread {
            body()
            continuation.resume()
        }.start()
    }
}

/// A wait for something another thread or task does, with a bound that fails loudly: returns
/// once `condition()` holds, throws (naming `what`) if it still does not after `seconds`. The
/// bound is far above the time the event takes on a loaded machine; it only keeps a broken wait
/// from hanging the suite.
struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

func waitUntil(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "gave up after \(seconds) s waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// The same for a thread outside Swift concurrency.
func waitUntilBlocking(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "gave up after \(seconds) s waiting until \(what)") }
        usleep(500)
    }
}
