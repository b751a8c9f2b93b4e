import Foundation
import Shared

/// Where Gymnasium's MuJoCo model files are: `$RL_GYMNASIUM_ASSETS`, else the `envs/mujoco/assets`
/// folder of the Gymnasium that `$RL_PYTHON` (or `python3`) imports. The models are Gymnasium's
/// own files, read where Gymnasium keeps them, so a task here is the task Gymnasium steps.
public enum GymnasiumAssets {
    /// The folder, or why it was not found: looked up once per process.
    private static let located = Locked<Result<String, LookupFailure>?>(nil)

    struct LookupFailure: Error { let detail: String }

    /// The assets folder, found once per process; `id` and `file` name what is missing in the error.
    public static func folder(for id: String, file: String = "its model") throws -> String {
        let result = located.withLock { cached in
            if cached == nil { cached = find() }
            return cached!
        }
        switch result {
        case .success(let folder): return folder
        case .failure(let failure): throw MuJoCoError.assetsNotFound(id: id, file: file, detail: failure.detail)
        }
    }

    /// The path of `file` in the assets folder, or an error naming what was looked for.
    public static func path(of file: String, for id: String) throws -> String {
        let path = (try folder(for: id, file: file) as NSString).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: path) else {
            throw MuJoCoError.assetsNotFound(id: id, file: file, detail: "\(path) does not exist")
        }
        return path
    }

    private static func find() -> Result<String, LookupFailure> {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["RL_GYMNASIUM_ASSETS"], !folder.isEmpty { return .success(folder) }
        let python = environment["RL_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        let script = "import importlib.util, os; s = importlib.util.find_spec('gymnasium'); "
            + "print(os.path.join(os.path.dirname(s.origin), 'envs', 'mujoco', 'assets') if s else '')"
        do {
            let (status, output) = try ChildProcess.output(of: "/usr/bin/env", arguments: ["--", python, "-c", script])
            let folder = output.trimmingCharacters(in: .whitespacesAndNewlines)
            guard status == .exited(0), !folder.isEmpty else {
                return .failure(LookupFailure(detail: "\(python) has no gymnasium module"))
            }
            return .success(folder)
        } catch {
            return .failure(LookupFailure(detail: "\(python) could not be run: \(error)"))
        }
    }
}
