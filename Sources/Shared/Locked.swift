import Foundation

/// A value behind a pthread mutex (NSLock). Synchronization's `Mutex` would do, but on Linux it
/// is built on futexes that ThreadSanitizer cannot see, so every access would be reported as
/// a race in the TSan runs.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
