import CCrypto
import Envs
import Foundation
import MuJoCoEnvs

/// A callback named in the config's `callbacks` section, with its parameters (defaults filled).
public struct CallbackSpec: Hashable, Sendable {
    public var name: String
    public var parameters: [ConfigEntry]
    /// Whether it changes what is trained (then it is part of the run identity).
    public var affectsTraining: Bool
    /// The kind's default parameters (left out of the run identity).
    var defaults: [ConfigEntry] = []

    public init(name: String, parameters: [ConfigEntry], affectsTraining: Bool) {
        self.name = name
        self.parameters = parameters
        self.affectsTraining = affectsTraining
    }

    public subscript(parameter: String) -> ConfigValue? { parameters.first { $0.key == parameter }?.value }
}

/// A resolved, validated config: every key of the schema that applies to the algorithm has a
/// typed value (defaults filled), and the callbacks have their parameters.
///
///     let config = try ExperimentConfig.load(file: "configs/dqn-cartpole.yaml", overrides: ["train.seed=3"])
///     print(config.id8, config.yaml())
public struct ExperimentConfig: Sendable, Equatable {
    public var algorithm: AlgorithmName { definition.name }
    /// The registered algorithm the config names: its keys, defaults and builder.
    public let definition: Algorithm
    /// Every key of this config's schema (common keys with the algorithm's defaults, and the
    /// algorithm's own), in the order configs are written.
    public var keys: [ConfigKey] { definition.schema }
    var keysByPath: [String: ConfigKey] { definition.schemaByPath }
    /// Every applicable key's value, by path.
    public private(set) var values: [String: ConfigValue]
    public private(set) var callbacks: [CallbackSpec]

    /// Digests of the bridged environment's script files, read once when the config is made
    /// (part of the identity: an edited environment is another run).
    public private(set) var commandFiles: [String] = []

    init(definition: Algorithm, values: [String: ConfigValue], callbacks: [CallbackSpec]) {
        self.definition = definition
        self.values = values
        self.callbacks = callbacks
        commandFiles = Self.digests(of: values[EnvKeys.command.path])
    }

    /// `path:sha256-prefix` of each argument after the program that names a readable file (the
    /// interpreter itself is left out, so a Python upgrade keeps every id).
    static func digests(of command: ConfigValue?) -> [String] {
        guard case .list(let items)? = command, items.count > 1 else { return [] }
        return items.dropFirst().compactMap { item -> String? in
            guard let argument = item.stringValue else { return nil }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: argument) else { return nil }
            return "\(argument):\(sha256Hex(bytes: Array(data)).prefix(16))"
        }
    }

    public static func == (a: ExperimentConfig, b: ExperimentConfig) -> Bool {
        a.algorithm == b.algorithm && a.values == b.values && a.callbacks == b.callbacks
    }

    // MARK: Loading

    /// Reads a YAML or JSON file, applies `--set` style overrides (`path=value`, the value
    /// read as YAML), fills defaults and validates.
    public static func load(file: String, overrides: [String] = [], callbackRegistry: CallbackRegistry = .builtIn,
                            environments: EnvironmentRegistry? = .standard, algorithms: AlgorithmRegistry = .builtIn) throws -> ExperimentConfig {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigError.unreadable(file: file, detail: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, source: file, overrides: overrides, callbackRegistry: callbackRegistry, environments: environments,
                         algorithms: algorithms)
    }

    /// Parses config text (YAML or JSON); see `load(file:)`.
    public static func parse(_ text: String, source: String = "config", overrides: [String] = [],
                             callbackRegistry: CallbackRegistry = .builtIn,
                             environments: EnvironmentRegistry? = .standard, algorithms: AlgorithmRegistry = .builtIn) throws -> ExperimentConfig {
        var root = try RawNode.parse(text, source: source) ?? RawNode(kind: .mapping([]), line: nil)
        for override in overrides { try apply(override: override, to: &root) }
        let config = try resolve(root, callbackRegistry: callbackRegistry, algorithms: algorithms)
        if let environments { try config.validate(environments: environments, algorithms: algorithms) }
        return config
    }

    /// The defaults of `algorithm` on `environment` (by default the algorithm's own default environment).
    public static func defaults(_ algorithm: AlgorithmName, environment: String? = nil, overrides: [String] = [],
                                environments: EnvironmentRegistry? = .standard, algorithms: AlgorithmRegistry = .builtIn) throws -> ExperimentConfig {
        guard let definition = algorithms.algorithm(algorithm) else { throw unknownAlgorithm(algorithm.rawValue, line: nil, algorithms: algorithms) }
        let env = environment ?? definition.defaultEnvironment
        return try parse("env: {id: \(ConfigValue.quoted(env))}\nalgorithm: {name: \(ConfigValue.quoted(algorithm.rawValue))}\n", source: "defaults",
                         overrides: overrides, environments: environments, algorithms: algorithms)
    }

    static func unknownAlgorithm(_ name: String, line: Int?, algorithms: AlgorithmRegistry) -> ConfigError {
        .outOfRange(path: "algorithm.name", line: line, detail: "'\(name)' is not a registered algorithm (registered: \(algorithms.names.joined(separator: ", ")))"
                    + (closest(to: name, in: algorithms.names).map { "; did you mean '\($0)'?" } ?? ""))
    }

    static func apply(override: String, to root: inout RawNode) throws {
        guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
            throw ConfigError.invalid(path: override, detail: "an override is written path=value, e.g. algorithm.lr=3e-4")
        }
        let path = String(override[..<eq]).trimmingCharacters(in: .whitespaces)
        let text = String(override[override.index(after: eq)...])
        // Line numbers of an override's own text would point into the wrong file: drop them.
        let value = (try RawNode.parse(text, source: "--set \(path)") ?? RawNode(kind: .scalar(text: "", quoted: false), line: nil)).withoutLines
        let parts = path.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { throw ConfigError.invalid(path: path, detail: "empty key path") }
        func set(_ node: inout RawNode, _ rest: ArraySlice<String>) throws {
            guard case .mapping(var entries) = node.kind else {
                throw ConfigError.invalid(path: path, detail: "cannot set a key inside \(node.what)")
            }
            let key = rest.first!
            if rest.count == 1 {
                if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].value = value } else { entries.append((key, nil, value)) }
            } else {
                if let i = entries.firstIndex(where: { $0.key == key }) {
                    try set(&entries[i].value, rest.dropFirst())
                } else {
                    var child = RawNode(kind: .mapping([]), line: nil)
                    try set(&child, rest.dropFirst())
                    entries.append((key, nil, child))
                }
            }
            node.kind = .mapping(entries)
        }
        try set(&root, parts[...])
    }

    static func resolve(_ root: RawNode, callbackRegistry: CallbackRegistry, algorithms: AlgorithmRegistry) throws -> ExperimentConfig {
        guard case .mapping(let sections) = root.kind else {
            throw ConfigError.wrongType(path: "(top level)", line: root.line, expected: "a mapping of sections (\(ConfigSchema.sections.joined(separator: ", ")))", got: root.what)
        }
        for section in sections where !ConfigSchema.sections.contains(section.key) {
            throw ConfigError.unknownKey(path: section.key, line: section.keyLine, known: ConfigSchema.sections,
                                         suggestion: ZooVocabulary.suggestion(for: section.key).map { "\($0)', rl-zoo's '\(section.key)" }
                                            ?? closest(to: section.key, in: ConfigSchema.sections))
        }
        // The algorithm first: defaults depend on it.
        let algorithmNode = sections.first { $0.key == "algorithm" }?.value
        guard let algorithmNode else {
            throw ConfigError.missing(path: "algorithm", detail: "the algorithm section with name: \(algorithms.names.joined(separator: " or "))")
        }
        guard case .mapping(let algorithmEntries) = algorithmNode.kind else {
            throw ConfigError.wrongType(path: "algorithm", line: algorithmNode.line, expected: "a mapping", got: algorithmNode.what)
        }
        guard let nameNode = algorithmEntries.first(where: { $0.key == "name" })?.value else {
            throw ConfigError.missing(path: "algorithm.name", detail: "one of \(algorithms.names.joined(separator: ", "))")
        }
        let name = try ConfigSchema.typed(nameNode, for: ConfigSchema.common.first { $0.path == "algorithm.name" }!)
        guard let definition = algorithms.algorithm(AlgorithmName(name.stringValue!)) else {
            throw unknownAlgorithm(name.stringValue!, line: nameNode.line, algorithms: algorithms)
        }
        let schema = definition.schema, byPath = definition.schemaByPath

        var values: [String: ConfigValue] = [:]
        var callbacks: [CallbackSpec]? = nil
        for section in sections {
            if section.key == "callbacks" {
                callbacks = try callbackRegistry.resolve(section.value, adjusted: definition.defaults)
                continue
            }
            guard case .mapping(let entries) = section.value.kind else {
                throw ConfigError.wrongType(path: section.key, line: section.value.line, expected: "a mapping of keys", got: section.value.what)
            }
            let known = schema.filter { $0.section == section.key }
            for entry in entries {
                let path = "\(section.key).\(entry.key)"
                guard let key = byPath[path] else {
                    let owners = algorithms.names { $0.keys.contains { $0.path == path } }
                    if !owners.isEmpty {
                        throw ConfigError.invalid(path: path, detail: "applies only to \(owners.joined(separator: ", ")), not \(definition.name)")
                    }
                    throw ConfigError.unknownKey(path: path, line: entry.keyLine, known: known.map(\.name),
                                                 suggestion: ZooVocabulary.suggestion(for: entry.key).map { "\($0)', rl-zoo's '\(entry.key)" }
                                                    ?? closest(to: entry.key, in: known.map(\.name)).map { "\(section.key).\($0)" })
                }
                values[path] = try ConfigSchema.typed(entry.value, for: key)
            }
        }
        for key in schema where values[key.path] == nil {
            guard let value = key.defaultValue else {
                throw ConfigError.missing(path: key.path, detail: key.doc)
            }
            values[key.path] = value
        }
        let config = ExperimentConfig(definition: definition, values: values, callbacks: callbacks ?? callbackRegistry.defaultList(adjusted: definition.defaults))
        try config.checkTags()
        return config
    }

    /// Tags must name keys of this config, once each.
    func checkTags() throws {
        var seen = Set<String>()
        for tag in self[TrainKeys.tags] {
            guard seen.insert(tag).inserted else {
                throw ConfigError.invalid(path: "train.tags", detail: "'\(tag)' is listed twice")
            }
            guard keysByPath[tag] != nil, values[tag] != nil else {
                let section = tag.split(separator: ".").first.map(String.init) ?? ""
                let name = tag.split(separator: ".").dropFirst().joined(separator: ".")
                let sameSection = values.keys.filter { $0.hasPrefix(section + ".") }.map { String($0.dropFirst(section.count + 1)) }
                let suggestion = closest(to: name, in: sameSection).map { "\(section).\($0)" } ?? closest(to: tag, in: Array(values.keys))
                throw ConfigError.invalid(path: "train.tags", detail: "'\(tag)' is not a key of this config"
                                          + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
            }
        }
    }

    // MARK: Access

    public subscript(path: String) -> ConfigValue {
        guard let value = values[path] else { preconditionFailure("no config key '\(path)' for \(algorithm.rawValue)") }
        return value
    }
    public func int(_ path: String) -> Int { self[path].intValue! }
    public func optionalInt(_ path: String) -> Int? { self[path].intValue }
    public func double(_ path: String) -> Double { self[path].doubleValue! }
    public func optionalDouble(_ path: String) -> Double? { self[path].doubleValue }
    public func bool(_ path: String) -> Bool { self[path].boolValue! }
    public func string(_ path: String) -> String { self[path].stringValue! }
    public func optionalString(_ path: String) -> String? { self[path].stringValue }
    public func ints(_ path: String) -> [Int] {
        guard case .list(let items) = self[path] else { return [] }
        return items.compactMap(\.intValue)
    }
    public func strings(_ path: String) -> [String] {
        guard case .list(let items) = self[path] else { return [] }
        return items.compactMap(\.stringValue)
    }

    /// Sets one value, typed and range-checked as if it had been written in the file: an
    /// integer given for a float key becomes a float, an integral float for an integer key an
    /// integer; null only where the key allows it. Cross-key checks run again with `validate`.
    public mutating func set(_ path: String, _ value: ConfigValue) throws {
        guard let key = keysByPath[path] else {
            throw ConfigError.unknownKey(path: path, line: nil, known: [], suggestion: nil)
        }
        guard path != "algorithm.name" else {
            throw ConfigError.invalid(path: path, detail: "the algorithm decides every default; parse a new config instead")
        }
        let wrong = ConfigError.wrongType(path: path, line: nil, expected: key.type.summary + (key.nullable ? " or null" : ""), got: value.description)
        var typed = value
        switch (key.type, value) {
        case (.float, .int(let i)): typed = .float(Double(i))
        case (.float, .float(let d)): guard d.isFinite else { throw wrong }
        case (.int, .float(let d)) where d == d.rounded() && abs(d) < 1e15: typed = .int(Int(d))
        case (_, .null) where key.nullable: typed = .null
        case (.int, .int), (.bool, .bool), (.string, .string): break
        case (.intList, .list(let items)) where !items.isEmpty && items.allSatisfy({ $0.intValue != nil }): break
        case (.stringList, .list(let items)) where items.allSatisfy({ $0.stringValue != nil }): break
        case (.choice(let options), .string(let text)) where options.contains(text): break
        default: throw wrong
        }
        try ConfigSchema.checkRange(typed, key: key, line: nil)
        var copy = self
        copy.values[path] = typed
        if path == "train.tags" { try copy.checkTags() }
        if path == EnvKeys.command.path { copy.commandFiles = Self.digests(of: typed) }
        self = copy
    }

    // MARK: Validation across keys

    /// Checks what single keys cannot: sizes against each other, the algorithm against the
    /// environment's action space, deterministic mode's single collector, tags naming keys.
    public func validate(environments base: EnvironmentRegistry, algorithms: AlgorithmRegistry = .builtIn) throws {
        let environments = try self.environments(from: base)
        try definition.dataFlow.validate(self, environments: environments)
        if self[EnvKeys.normalizeRewards], !definition.dataFlow.scalesRewards {
            throw ConfigError.invalid(path: EnvKeys.normalizeRewards.path, detail: "reward scaling is implemented for on-policy algorithms (\(algorithms.names { $0.dataFlow.scalesRewards }.joined(separator: ", "))); \(algorithm) learns from \(definition.dataFlow.name) (env.normalize_observations works for it)")
        }
        if self[TrainKeys.deterministic], self[CollectorsKeys.count] != 1, definition.dataFlow.deterministicNeedsOneCollector {
            throw ConfigError.invalid(path: "collectors.count", detail: "deterministic training (train.deterministic) of a \(definition.dataFlow.name) algorithm runs exactly 1 collector, not \(self[CollectorsKeys.count])")
        }
        if self[CollectorsKeys.serve] != nil {
            if !definition.dataFlow.acceptsRemoteCollectors {
                throw ConfigError.invalid(path: "collectors.serve", detail: "remote collectors feed a replay memory; \(algorithm) collects \(definition.dataFlow.name) in the learner's process")
            }
            if self[TrainKeys.deterministic] {
                throw ConfigError.invalid(path: "collectors.serve", detail: "deterministic training (train.deterministic) steps its one collector inline; remote collectors cannot join it")
            }
            if self[EnvKeys.normalizeObservations] {
                throw ConfigError.invalid(path: "collectors.serve", detail: "remote collectors do not carry observation statistics (env.normalize_observations) yet")
            }
        } else if self[CollectorsKeys.count] == 0 {
            throw ConfigError.invalid(path: "collectors.count", detail: "0 collector threads need remote collectors (collectors.serve, or rl-train train --serve PORT)")
        }
        for (path, id) in [("env.id", self[EnvKeys.id]), ("eval.env_id", self[EvalKeys.environmentID])] {
            guard let id else { continue }
            let spec: EnvironmentSpec
            do { spec = try environments.spec(id) } catch EnvironmentError.unknownEnvironment(_, let known) {
                // A typo of a registered id, or an environment to serve over the bridge.
                let suggestion = closest(to: id, in: known).map { "did you mean '\($0)'? " } ?? ""
                throw ConfigError.invalid(path: path, detail: "unknown environment '\(id)'; \(suggestion)registered: \(known.joined(separator: ", ")). "
                    + "A Gymnasium environment runs over the bridge: env.command: [python3, python/examples/gymnasium_env.py, \(id)]")
            } catch {
                throw ConfigError.invalid(path: path, detail: "\(error)")
            }
            _ = spec
            let env: any Environment
            do { env = try environments.make(id) } catch { throw ConfigError.invalid(path: path, detail: "\(error)") }
            if let problem = Space.problem(observation: env.observationSpace, action: env.actionSpace) {
                throw ConfigError.invalid(path: path, detail: "\(id): \(problem)")
            }
            if !definition.actions.accepts(env.actionSpace) {
                let fitting = algorithms.names { $0.actions.accepts(env.actionSpace) }
                let actions: String
                switch env.actionSpace {
                case .discrete(let d): actions = "discrete actions \(d)"
                case .box(let box): actions = "continuous actions \(box)"
                }
                throw ConfigError.invalid(path: path, detail: "\(algorithm) needs a \(definition.actions.rawValue) action space; \(id) has \(actions)"
                                          + (fitting.isEmpty ? "" : "; use algorithm.name: \(fitting.joined(separator: " or "))"))
            }
        }
        if let evalID = self[EvalKeys.environmentID] {
            let train = try environments.make(self[EnvKeys.id]), eval = try environments.make(evalID)
            if train.observationSpace.size != eval.observationSpace.size || train.actionSpace.flatSize != eval.actionSpace.flatSize {
                throw ConfigError.invalid(path: "eval.env_id", detail: "\(evalID)'s spaces differ from \(self[EnvKeys.id])'s; the trained networks cannot act there")
            }
        }
    }

    /// `base`, plus the bridged environment when `env.command` is set: registered under
    /// `env.id` after its process has been started once to read its spaces (so a command that
    /// fails, or speaks something else, is reported here with the reason).
    public func environments(from base: EnvironmentRegistry) throws -> EnvironmentRegistry {
        let kwargs = self[EnvKeys.kwargs]
        guard let command = self[EnvKeys.command] else {
            guard !kwargs.isEmpty else { return base }
            let id = self[EnvKeys.id]
            var registry = base
            do {
                guard let spec = try MuJoCoTasks.spec(id: id, options: try kwargs.mujocoOptions(id: id)) else {
                    throw ConfigError.invalid(path: EnvKeys.kwargs.path, detail: "\(id) takes no keyword options here; env.kwargs apply to the MuJoCo tasks (\(MuJoCoTasks.all.map(\.id).joined(separator: ", ")))")
                }
                registry.replace(spec)
            } catch let error as MuJoCoError {
                throw ConfigError.invalid(path: EnvKeys.kwargs.path, detail: "\(error)")
            }
            return registry
        }
        let id = self[EnvKeys.id]
        if base.ids.contains(id) {
            throw ConfigError.invalid(path: "env.id", detail: "'\(id)' is a registered environment; a bridged one (env.command) needs an id of its own")
        }
        guard !command.isEmpty else { throw ConfigError.invalid(path: "env.command", detail: "the command is empty") }
        var registry = base
        let spec: EnvironmentSpec
        do {
            spec = try EnvironmentSpec.bridge(id: id, command: command, maxEpisodeSteps: nil)
            try registry.register(spec)
        } catch {
            throw ConfigError.invalid(path: "env.command", detail: "\(error)")
        }
        // Evaluation plays episodes to their end, and a good policy may never end one.
        if spec.maxEpisodeSteps == nil && self[EnvKeys.maxEpisodeSteps] == nil {
            throw ConfigError.invalid(path: "env.max_episode_steps", detail: "the bridged environment announces no time limit (\"max_episode_steps\" in its first line); set one here")
        }
        return registry
    }

    // MARK: Identity

    /// The canonical form hashed for the run identity: the schema's identity version (bumped
    /// whenever a default, the seeding or the checkpoint layout changes, so an old id never
    /// names a run that would now train differently), then one line per key path, sorted, for
    /// every value that differs from its default and matters to training (run-irrelevant keys
    /// left out), then the callbacks that affect training. Adding a key with a default keeps
    /// every old identity.
    public var canonicalForm: String {
        var lines = ["identity_version=\(ConfigSchema.identityVersion)"]
        for key in keys.sorted(by: { $0.path < $1.path }) where !key.runIrrelevant {
            guard let value = values[key.path] else { continue }
            if let defaultValue = key.defaultValue, defaultValue == value { continue }
            lines.append("\(key.path)=\(value == .float(0) ? ConfigValue.float(0) : value)")   // -0.0 reads as 0.0
        }
        // A bridged environment is its command's files as much as its id: an edited environment
        // script is another run, not one that is "already complete".
        if !commandFiles.isEmpty { lines.append("env.command_files=" + ConfigValue.list(commandFiles.map(ConfigValue.string)).description) }
        // Callbacks that affect training, with their non-default parameters (so a parameter
        // added later with a default keeps old ids).
        let affecting = callbacks.filter(\.affectsTraining)
        if !affecting.isEmpty {
            lines.append("callbacks=" + ConfigValue.list(affecting.map { spec in
                .map([ConfigEntry(spec.name, .map(spec.parameters.filter { !spec.defaults.contains($0) }))])
            }).description)
        }
        return lines.joined(separator: "\n")
    }

    /// SHA-256 of `canonicalForm`, hex.
    public var id: String { sha256Hex(canonicalForm) }

    /// The budget keys: the one change `rl-train resume --set` allows (a run extended to a larger
    /// budget is the same run continued).
    public static let budgetPaths = [TrainKeys.environmentSteps.path, TrainKeys.updates.path]

    /// The identity without the budget: equal for a run and its extension.
    public var idWithoutBudget: String { id(without: Self.budgetPaths) }

    /// The identity without the seed: equal for the seeds of one config (plots pool them).
    public var idWithoutSeed: String { id(without: [TrainKeys.seed.path]) }

    func id(without paths: [String]) -> String {
        sha256Hex(canonicalForm.split(separator: "\n").filter { line in !paths.contains { line.hasPrefix("\($0)=") } }.joined(separator: "\n"))
    }
    /// The first 8 hex digits of `id`, used in run directory names.
    public var id8: String { String(id.prefix(8)) }

    /// The run's name: `train.name` (or `<algorithm>-<env id>`), then `key=value` for each tag.
    public var runName: String {
        var name = self[TrainKeys.name] ?? "\(algorithm.rawValue)-\(self[EnvKeys.id])"
        for tag in self[TrainKeys.tags] {
            let short = tag.split(separator: ".").last.map(String.init) ?? tag
            var text = self[tag].description
            if case .string(let s) = self[tag] { text = s }
            name += "-\(short)=\(text)"
        }
        return name.map { $0.isLetter || $0.isNumber || "-_.=".contains($0) ? $0 : "_" }.reduce(into: "") { $0.append($1) }
    }

    /// The tag values, in `train.tags` order.
    public var tags: [(path: String, value: ConfigValue)] { self[TrainKeys.tags].map { ($0, self[$0]) } }

    // MARK: Writing

    /// The full resolved config as YAML (all defaults filled); with `documented`, each key
    /// carries its doc as a comment. Reading it back gives the same config.
    public func yaml(documented: Bool = false, header: String? = nil) -> String {
        var out = header.map { $0.split(separator: "\n").map { "# \($0)" }.joined(separator: "\n") + "\n" } ?? ""
        for section in ConfigSchema.sections {
            if section == "callbacks" {
                if documented { out += "# callbacks by name with parameters, merged by name into these defaults ({name: false} leaves one out; rl-train config callbacks lists them)\n" }
                out += "callbacks:\n"
                for callback in callbacks {
                    out += "  - \(callback.name): \(ConfigValue.map(callback.parameters))\n"
                }
                if callbacks.isEmpty { out.removeLast(); out += " []\n" }
                continue
            }
            let keys = self.keys.filter { $0.section == section }
            guard !keys.isEmpty else { continue }
            out += "\(section):\n"
            for key in keys {
                let line = "  \(key.name): \(values[key.path]!)"
                if documented {
                    let padded = line.count < 40 ? line + String(repeating: " ", count: 40 - line.count) : line
                    out += "\(padded)  # \(key.doc)\(key.runIrrelevant ? " [not part of the run id]" : "")\n"
                } else {
                    out += line + "\n"
                }
            }
        }
        return out
    }
}

/// SHA-256 of a string's UTF-8 bytes as lowercase hex (OpenSSL's libcrypto).
func sha256Hex(_ text: String) -> String { sha256Hex(bytes: Array(text.utf8)) }

func sha256Hex(bytes: [UInt8]) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = bytes.withUnsafeBufferPointer { input in
        EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
    }
    precondition(ok == 1 && length == 32, "SHA-256 failed")
    return digest.prefix(32).map { String(format: "%02x", $0) }.joined()
}

extension ConfigOptions {
    /// The options as a MuJoCo task reads them: numbers, flags, [low, high] ranges, a file path.
    func mujocoOptions(id: String) throws -> MuJoCoOptions {
        var values: [String: MuJoCoOptions.Value] = [:]
        for entry in entries {
            switch entry.value {
            case .bool(let flag): values[entry.key] = .flag(flag)
            case .int, .float: values[entry.key] = .number(entry.value.doubleValue!)
            case .string(let text): values[entry.key] = .text(text)
            case .list(let items) where items.count == 2 && items.allSatisfy({ $0.doubleValue != nil }):
                values[entry.key] = .range(items[0].doubleValue!, items[1].doubleValue!)
            default:
                throw MuJoCoError.invalidOption(id: id, key: entry.key, detail: "expected a number, true/false, a path or [low, high]")
            }
        }
        return MuJoCoOptions(values)
    }
}
