import Atomics
import Core
import Foundation
import Shared

/// Set by the signal handler (an atomic increment is async-signal-safe; nothing else here is).
private let signalsReceived = ManagedAtomic<Int>(0)

/// The one place rl-train handles SIGINT and SIGTERM (and, for a sweep, SIGHUP): each signal
/// becomes a request on a `StopRequest`, which the library code it runs observes. The handler
/// only counts; a 50 ms timer turns new counts into requests (a handler may not call anything
/// that locks or allocates). `swift-service-lifecycle` does the same with a dispatch source; its
/// service model is more than a one-shot command needs.
final class ProcessSignals {
    /// What a second signal does.
    enum Second {
        /// The default action: the process terminates (train, resume, collect: the first one
        /// already asked for a final checkpoint).
        case terminates
        /// Another request (a sweep counts them: the first asks its runs for a final checkpoint,
        /// a later one ends them).
        case requestsAgain
    }

    let stop = StopRequest()
    private let timer: DispatchSourceTimer
    private var previous: [Int32: sigaction] = [:]

    /// Installs the handlers until `restore()`. SIGHUP is handled only with `hangUp`, and not
    /// when it is ignored (as under nohup).
    init(second: Second, hangUp: Bool = false) {
        signalsReceived.store(0, ordering: .relaxed)
        var numbers = [SIGINT, SIGTERM]
        if hangUp { numbers.append(SIGHUP) }
        for number in numbers {
            var old = sigaction()
            sigaction(number, nil, &old)
            // nohup: an ignored SIGHUP stays ignored (SIG_IGN is the handler address 1).
            if number == SIGHUP, unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }
            var action = sigaction()
            switch second {
            case .terminates:
                action.__sigaction_handler.sa_handler = { number in
                    signalsReceived.wrappingIncrement(ordering: .relaxed)
                    signal(number, SIG_DFL)   // a second signal terminates
                }
            case .requestsAgain:
                action.__sigaction_handler.sa_handler = { _ in signalsReceived.wrappingIncrement(ordering: .relaxed) }
            }
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, &old)
            previous[number] = old
        }
        // A parent may have started us with the signals blocked (a blocked mask survives exec);
        // unblock them on this thread so the handler runs here.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in previous.keys { sigaddset(&unblock, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now(), repeating: .milliseconds(50))
        let stop = self.stop
        let forwarded = ManagedAtomic<Int>(0)
        timer.setEventHandler {
            let received = signalsReceived.load(ordering: .relaxed)
            while forwarded.load(ordering: .relaxed) < received {
                forwarded.wrappingIncrement(ordering: .relaxed)
                stop.request()
            }
        }
        timer.resume()
    }

    /// Stops forwarding and restores the handlers that were there before.
    func restore() {
        timer.cancel()
        for (number, var old) in previous { sigaction(number, &old, nil) }
        previous = [:]
    }
}
