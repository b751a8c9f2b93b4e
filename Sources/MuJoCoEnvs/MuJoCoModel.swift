#if MuJoCo
import CMuJoCo

/// A compiled MuJoCo model (`mjModel`), loaded once from an MJCF file and shared read-only by
/// every environment of a task: MuJoCo's functions take the model as `const`, so any number of
/// threads may step their own `MuJoCoSimulation`s on it at once.
public final class MuJoCoModel: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<mjModel>
    /// The MJCF file it was compiled from.
    public let file: String

    /// MuJoCo's messages go to standard error, not to the MUJOCO_LOG.TXT it would otherwise
    /// write in the working directory (Gymnasium's bindings redirect them too).
    private static let messagesToStandardError: Void = rl_mujoco_messages_to_stderr()

    /// Compiles `file`; a missing or malformed file is an error that names it with MuJoCo's message.
    public init(file: String) throws {
        _ = Self.messagesToStandardError
        var message = [CChar](repeating: 0, count: 1024)
        guard let model = mj_loadXML(file, nil, &message, Int32(message.count)) else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw MuJoCoError.modelLoad(file: file, detail: text.isEmpty ? "MuJoCo could not compile it" : text)
        }
        pointer = model
        self.file = file
    }

    deinit { mj_deleteModel(pointer) }

    /// Generalised positions (`nq`), velocities (`nv`), actuators (`nu`), bodies.
    public var nq: Int { Int(pointer.pointee.nq) }
    public var nv: Int { Int(pointer.pointee.nv) }
    public var nu: Int { Int(pointer.pointee.nu) }
    public var nbody: Int { Int(pointer.pointee.nbody) }
    /// The integrator's step (`opt.timestep`).
    public var timestep: Double { pointer.pointee.opt.timestep }
    /// The reference configuration `qpos0`, which `mj_resetData` restores.
    public var qpos0: [Double] { Array(UnsafeBufferPointer(start: pointer.pointee.qpos0, count: nq)) }

    /// Each actuator's control range (`actuator_ctrlrange`), the action space Gymnasium announces.
    public var controlRange: (low: [Double], high: [Double]) {
        let range = UnsafeBufferPointer(start: pointer.pointee.actuator_ctrlrange, count: 2 * nu)
        return (stride(from: 0, to: 2 * nu, by: 2).map { range[$0] }, stride(from: 1, to: 2 * nu, by: 2).map { range[$0] })
    }

    /// The id of the body named `name`, or an error naming the model.
    public func bodyID(_ name: String) throws -> Int {
        let id = mj_name2id(pointer, Int32(mjOBJ_BODY.rawValue), name)
        guard id >= 0 else { throw MuJoCoError.modelLoad(file: file, detail: "it has no body named '\(name)'") }
        return Int(id)
    }

    /// The id of the site named `name`.
    public func siteID(_ name: String) throws -> Int {
        let id = mj_name2id(pointer, Int32(mjOBJ_SITE.rawValue), name)
        guard id >= 0 else { throw MuJoCoError.modelLoad(file: file, detail: "it has no site named '\(name)'") }
        return Int(id)
    }

    /// The version of the MuJoCo library in use, e.g. "4.0.1".
    public static var libraryVersion: String { String(cString: mj_versionString()) }
}
#endif

/// Errors of the MuJoCo tasks: the library, the model files, the options.
public enum MuJoCoError: Error, CustomStringConvertible, Equatable {
    /// This build has no MuJoCo (built without the `MuJoCo` trait).
    case notBuilt(id: String)
    /// Gymnasium's model files were not found.
    case assetsNotFound(id: String, file: String, detail: String)
    /// MuJoCo could not compile a model file.
    case modelLoad(file: String, detail: String)
    /// An `env.kwargs` option is unknown or has a value the task cannot take.
    case invalidOption(id: String, key: String, detail: String)

    public var description: String {
        switch self {
        case .notBuilt(let id):
            return "\(id) runs on the MuJoCo C library, and this rl-train was built without it; "
                + "scripts/build-mujoco.sh installs libmujoco and builds an rl-train with it (it prints the binary's path)"
        case let .assetsNotFound(id, file, detail):
            return "\(id) reads its model (\(file)) from Gymnasium's envs/mujoco/assets, which was not found (\(detail)); install Gymnasium "
                + "(pip install gymnasium) for the Python in $RL_PYTHON or python3, set $RL_GYMNASIUM_ASSETS to its "
                + "envs/mujoco/assets folder, or give env.kwargs.xml_file"
        case let .modelLoad(file, detail):
            return "MuJoCo model \(file): \(detail)"
        case let .invalidOption(id, key, detail):
            return "\(id) option \(key): \(detail)"
        }
    }
}
