import NN
import StateDictIO

/// What SAC and TD3 share about their twin critics: writing [s, a] rows for them, and their
/// checkpoint entries (`critic1.online`, `critic1.target`, `critic1.adam`, then `critic2.…`).
enum TwinCritics {
    /// Writes `rows` rows of [s, a] (observation then action) into `out`.
    static func concatenate(_ s: UnsafeBufferPointer<Float>, _ a: UnsafeBufferPointer<Float>, rows: Int,
                            observationSize: Int, actionSize: Int, into out: UnsafeMutablePointer<Float>) {
        let w = observationSize + actionSize
        for b in 0..<rows {
            for j in 0..<observationSize { out[b * w + j] = s[b * observationSize + j] }
            for j in 0..<actionSize { out[b * w + observationSize + j] = a[b * actionSize + j] }
        }
    }

    typealias Critic = (online: MLP, target: MLP, optimizer: Adam)

    static func stateDict(_ critics: [Critic]) -> StateDict {
        var dict = StateDict()
        for (i, critic) in critics.enumerated() {
            dict.merge(critic.online.stateDict(), prefix: "critic\(i + 1).online")
            dict.merge(critic.target.stateDict(), prefix: "critic\(i + 1).target")
            dict.merge(critic.optimizer.stateDict(layout: critic.online.layout), prefix: "critic\(i + 1).adam")
        }
        return dict
    }

    static func load(_ dict: StateDict, into critics: [Critic], loadNetwork: Bool, loadOptimizer: Bool, loadHparams: Bool) throws {
        for (i, critic) in critics.enumerated() {
            let scope = dict.scoped("critic\(i + 1)")
            if loadNetwork {
                try critic.online.loadStateDict(scope.scoped("online"))
                try critic.target.loadStateDict(scope.scoped("target"))
            }
            if loadOptimizer {
                try critic.optimizer.loadStateDict(scope.scoped("adam"), layout: critic.online.layout, loadHyperparameters: loadHparams)
            }
        }
    }
}
