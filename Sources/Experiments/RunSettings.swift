/// The settings every algorithm's run has, so a front end (the CLI, later configs) applies
/// them once, whatever the algorithm.
public protocol RunSettings {
    var environmentID: String { get set }
    var seed: UInt64 { get set }
    var environmentSteps: Int { get set }
    var collectors: Int { get set }
    var environmentsPerCollector: Int { get set }
    var hidden: [Int] { get set }
    var learningRate: Float { get set }
    var evaluationEpisodes: Int { get set }
}

extension DQNSettings: RunSettings {}
extension SACSettings: RunSettings {}
