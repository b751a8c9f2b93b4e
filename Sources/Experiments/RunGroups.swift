import Reporting

/// Runs grouped for plots and reports: by their config without the seed, so the seeds of one
/// config share a curve and a band, and runs of different configs (an Acrobot and a CartPole
/// run) are different curves.
public enum RunGroups {
    /// Groups in the order their first run comes, named by run name, with the identity's first
    /// digits where two groups share a name. A run without a readable config is its own group.
    public static func bySeed(_ runs: [RunRecord]) -> [(name: String, runs: [RunRecord])] {
        var order: [String] = [], members: [String: [RunRecord]] = [:], names: [String: String] = [:]
        for run in runs {
            let config = try? RunDirectory.config(in: run.directory)
            let key = config?.idWithoutSeed ?? run.directory.path
            if members[key] == nil { order.append(key); names[key] = config?.runName ?? run.name }
            members[key, default: []].append(run)
        }
        return order.map { key in
            let name = names[key]!
            let clash = order.filter { names[$0] == name }.count > 1
            return (clash ? "\(name) [\(key.prefix(8))]" : name, members[key]!)
        }
    }
}
