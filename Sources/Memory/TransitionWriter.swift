/// Where a collector's transitions go: the replay table's own `ReplayTable.Writer`, or a
/// writer that carries them to a learner in another process (the `Remote` module's).
///
///     let writer: TransitionWriter = table.makeWriter()
///     try writer.insert(transition)     // may wait while the rate limiter holds collectors back
///     try writer.flush()                // after each vector step: make the inserts visible
///
/// One writer belongs to one collector thread.
public protocol TransitionWriter: AnyObject {
    /// The shape of the transitions it takes.
    var spec: TransitionSpec { get }
    /// Writes one transition (or queues it for its destination).
    func insert(_ t: TransitionView) throws
    /// Publishes (or sends) what was inserted so far, as far as the writer batches.
    func flush() throws
    /// Wakes whoever waits on the destination after a collector failed (a learner waiting for
    /// data), so the failure surfaces at once.
    func abandon()
}

extension ReplayTable.Writer: TransitionWriter {
    public var spec: TransitionSpec { table.spec }
    /// Closes the table: a learner waiting in `awaitSize` or a rate-limited sample wakes and fails.
    public func abandon() { table.close() }
}
