#if canImport(Glibc)
import Glibc
#endif

/// Runs two independent pieces of a learner update at once: the caller's thread runs the first
/// while a persistent worker thread runs the second, and `run` returns when both are done.
/// SAC's and TD3's twin critics are independent until the actor step (their targets, their
/// regression steps and Adam updates, their input gradients for the policy), so a 2-core
/// learner runs one critic on each core. Each piece computes exactly what it computes alone,
/// so results are bit-identical to running them one after the other.
///
///     let pair = ParallelPair()
///     pair.run({ updateCritic(1) }, { updateCritic(2) })
///
/// One thread is created at init and joined at deinit; `run` allocates nothing. Not reentrant:
/// one `run` at a time (the learner thread's).
public final class ParallelPair: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var job: (() -> Void)?
    private var finished = true
    private var stopping = false
    private var thread = pthread_t()

    public init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<ParallelPair>.fromOpaque(context!).takeUnretainedValue().work()
            return nil
        }, context)
        precondition(rc == 0, "ParallelPair could not start its worker thread: \(String(cString: strerror(rc)))")
    }

    deinit {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `first` here and `second` on the worker, and returns once both have finished.
    public func run(_ first: () -> Void, _ second: () -> Void) {
        withoutActuallyEscaping(second) { second in
            pthread_mutex_lock(&mutex)
            job = second
            finished = false
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
            first()
            pthread_mutex_lock(&mutex)
            while !finished { pthread_cond_wait(&condition, &mutex) }
            job = nil
            pthread_mutex_unlock(&mutex)
        }
    }

    private func work() {
        pthread_mutex_lock(&mutex)
        while true {
            while !stopping && (finished || job == nil) { pthread_cond_wait(&condition, &mutex) }
            if stopping { break }
            let piece = job!
            pthread_mutex_unlock(&mutex)
            piece()
            pthread_mutex_lock(&mutex)
            finished = true
            pthread_cond_broadcast(&condition)
        }
        pthread_mutex_unlock(&mutex)
    }
}
