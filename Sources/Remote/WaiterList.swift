import Shared

/// Async waiters that a thread wakes, each waiting until its condition holds. A waiter checks
/// its condition after it is registered, so a wake between its first check and its
/// registration is not lost.
final class WaiterList: @unchecked Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, Never>
    }
    private let state = Locked<(next: Int, list: [Waiter], closed: Bool)>((0, [], false))

    /// Returns once `ready()` is true at a wake (or at once), on close, or on cancellation.
    func wait(until ready: @escaping @Sendable () -> Bool) async {
        while !ready() {
            if Task.isCancelled || state.withLock({ $0.closed }) { return }
            let id = state.withLock { s -> Int in
                s.next += 1
                return s.next
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let registered = state.withLock { s -> Bool in
                        guard !s.closed, !Task.isCancelled else { return false }
                        s.list.append(Waiter(id: id, continuation: continuation))
                        return true
                    }
                    if !registered {
                        continuation.resume()
                    } else if ready() {
                        resume(id)   // became ready while registering
                    }
                }
            } onCancel: {
                resume(id)
            }
        }
    }

    var hasWaiters: Bool { state.withLock { !$0.list.isEmpty } }

    /// Wakes every current waiter (each checks its condition again).
    func wakeAll() {
        let list = state.withLock { s -> [Waiter] in
            guard !s.list.isEmpty else { return [] }
            defer { s.list.removeAll(keepingCapacity: true) }
            return s.list
        }
        for waiter in list { waiter.continuation.resume() }
    }

    /// Wakes everyone for good.
    func close() {
        let list = state.withLock { s -> [Waiter] in
            s.closed = true
            defer { s.list = [] }
            return s.list
        }
        for waiter in list { waiter.continuation.resume() }
    }

    private func resume(_ id: Int) {
        let waiter = state.withLock { s -> Waiter? in
            guard let i = s.list.firstIndex(where: { $0.id == id }) else { return nil }
            return s.list.remove(at: i)
        }
        waiter?.continuation.resume()
    }
}
