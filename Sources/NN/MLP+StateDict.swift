import StateDictIO

extension MLP {
    /// The parameters as named tensors (`layers.0.weight` (out, in), `layers.0.bias` (out), ...),
    /// as PyTorch names a stack of `nn.Linear` layers held in a `layers` list.
    public func stateDict() -> StateDict {
        var dict = StateDict()
        for entry in layout.entries {
            dict[entry.name] = Tensor(floats: UnsafeBufferPointer(rebasing: parameters[entry.offset ..< entry.offset + entry.count]),
                                      shape: entry.shape)
        }
        return dict
    }

    /// Loads parameters saved by `stateDict()`; every name, dtype and shape is checked before
    /// anything is overwritten.
    public func loadStateDict(_ dict: StateDict) throws {
        for entry in layout.entries {
            let tensor = try dict.tensor(entry.name)
            guard tensor.dtype == .float32 else { throw StateDictError.wrongDType(name: entry.name, expected: .float32, found: tensor.dtype) }
            guard tensor.shape == entry.shape else { throw StateDictError.wrongShape(name: entry.name, expected: entry.shape, found: tensor.shape) }
        }
        for entry in layout.entries {
            try dict.tensor(entry.name).copyFloats(
                into: UnsafeMutableBufferPointer(rebasing: parameters[entry.offset ..< entry.offset + entry.count]), name: entry.name)
        }
    }
}

extension Adam {
    /// Moments named after the parameters they belong to (`layers.0.weight.exp_avg`,
    /// `layers.0.weight.exp_avg_sq`, as in PyTorch's optimizer state), the step count and the
    /// hyperparameters.
    public func stateDict(layout: ParameterLayout) -> StateDict {
        var dict = StateDict()
        for entry in layout.entries {
            let range = entry.offset ..< entry.offset + entry.count
            dict["\(entry.name).exp_avg"] = Tensor(floats: UnsafeBufferPointer(rebasing: firstMoment[range]), shape: entry.shape)
            dict["\(entry.name).exp_avg_sq"] = Tensor(floats: UnsafeBufferPointer(rebasing: secondMoment[range]), shape: entry.shape)
        }
        dict["step"] = Tensor(scalar: Int64(step))
        dict["lr"] = Tensor(scalar: Double(learningRate))
        dict["betas"] = Tensor(doubles: [Double(beta1), Double(beta2)])
        dict["eps"] = Tensor(scalar: Double(epsilon))
        dict["weight_decay"] = Tensor(scalar: Double(weightDecay))
        return dict
    }

    /// Restores moments and the step count; hyperparameters too when `loadHyperparameters`.
    public func loadStateDict(_ dict: StateDict, layout: ParameterLayout, loadHyperparameters: Bool = true) throws {
        for entry in layout.entries {
            for suffix in ["exp_avg", "exp_avg_sq"] {
                let name = "\(entry.name).\(suffix)"
                let tensor = try dict.tensor(name)
                guard tensor.shape == entry.shape else { throw StateDictError.wrongShape(name: name, expected: entry.shape, found: tensor.shape) }
                _ = try tensor.floats(name: name)
            }
        }
        for entry in layout.entries {
            let range = entry.offset ..< entry.offset + entry.count
            try dict.tensor("\(entry.name).exp_avg").copyFloats(into: UnsafeMutableBufferPointer(rebasing: firstMoment[range]), name: entry.name)
            try dict.tensor("\(entry.name).exp_avg_sq").copyFloats(into: UnsafeMutableBufferPointer(rebasing: secondMoment[range]), name: entry.name)
        }
        step = Int(try dict.integer("step"))
        if loadHyperparameters {
            learningRate = Float(try dict.scalar("lr"))
            let betas = try dict.tensor("betas").doubles(name: "betas")
            guard betas.count == 2 else { throw StateDictError.wrongShape(name: "betas", expected: [2], found: [betas.count]) }
            beta1 = Float(betas[0])
            beta2 = Float(betas[1])
            epsilon = Float(try dict.scalar("eps"))
            weightDecay = Float(try dict.scalar("weight_decay"))
        }
    }
}
