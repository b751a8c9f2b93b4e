import CBLAS
import CSupport
#if canImport(Glibc)
import Glibc
#endif
import CSmallGemm

/// The BLAS the networks run on (OpenBLAS).
public enum BLAS {
    /// Sets OpenBLAS's thread count for the whole process. Small networks run best on 1 thread
    /// (threads only add synchronisation at these sizes, and halve when another process holds a
    /// core); the trainer sets this once at start from its config.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// The kernel OpenBLAS picked for this CPU, e.g. "Zen".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The generic kernel OpenBLAS chose for a CPU newer than it knows, which this process
    /// replaced at start with the best one the CPU runs (`Sources/CSupport/BLASKernels.c`);
    /// nil when OpenBLAS's own choice stood (or `OPENBLAS_CORETYPE` was set).
    public static var replacedKernel: String? { rl_blas_replaced_kernel().map { String(cString: $0) } }
}

/// Layers this narrow (a critic's one output, a policy's mean and log-std, DQN's two
/// Q-values) go through matrix-vector calls, one per output: OpenBLAS's sgemm packs its
/// operands even when one side is a single column, and took 5–7x longer here (critic output
/// layer at batch 256: 24 µs as sgemm, 3.6 µs as sgemv).
@usableFromInline let narrowLayerWidth = 2

/// Small products go through libxsmm's JIT kernels instead of OpenBLAS, which packs and
/// blocks its operands however small they are. Measured per call on this machine (C timing
/// loop, 1 thread, libxsmm's time including the weight transpose the forward needs):
///
/// | product (batch, in, out) | OpenBLAS | libxsmm |
/// |---|---|---|
/// | forward 128, 64, 64 / 128, 4, 64 | 17.0 / 1.80 µs | 15.1 / 1.37 µs |
/// | dW 64, 64, 64 / dx 64, 64, 64 | 8.1 / 8.8 µs | 6.1 / 6.1 µs |
/// | dW 64, 4, 64 (4-wide rows) | 1.51 µs | 1.70 µs |
/// | forward 8, 64, 64 (a collector acting) | 1.73 µs | 2.42 µs |
/// | anything 256 per side | 1.2–1.9x faster | |
///
/// so libxsmm takes products with batch 16–256 and both feature sides ≤ 128, except a weight
/// gradient with rows narrower than 16.
@usableFromInline let smallGemmMaximum = 128
/// Batches up to 256 (PPO's minibatch on 64×64 layers) too: a whole 100k-step PPO CartPole run
/// took 2.34–2.52 s with libxsmm there against 2.63–3.05 s with OpenBLAS (interleaved runs).
@usableFromInline let smallGemmMaximumBatch = 256
@usableFromInline let smallGemmMinimum = 16

/// `RL_SMALL_GEMM=off` sends every product to OpenBLAS (for A/B measurements and for ruling
/// libxsmm in or out when numbers look wrong).
@usableFromInline let smallGemmEnabled: Bool = {
    guard let value = getenv("RL_SMALL_GEMM") else { return true }
    return String(cString: value) != "off"
}()

@inlinable
func isSmallGemm(batch: Int, inFeatures: Int, outFeatures: Int) -> Bool {
    batch >= smallGemmMinimum && batch <= smallGemmMaximumBatch && inFeatures <= smallGemmMaximum
        && outFeatures <= smallGemmMaximum && smallGemmEnabled
}

/// y(B, O) = x(B, I) · w(O, I)ᵀ + b(O). Row-major, as PyTorch's `nn.Linear`. `scratch` holds at
/// least I·O floats (the small-matrix path transposes w into it). Returns false when y holds the
/// product without the bias: the small-matrix path overwrites y, and the caller adds the bias in
/// its activation pass (`Activation.forward(_:addingBias:columns:)`) instead of broadcasting it
/// into y first.
@inlinable
func linearForward(out y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>,
                   weight w: UnsafePointer<Float>, bias b: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                   batch: Int, inFeatures: Int, outFeatures: Int) -> Bool {
    if outFeatures <= narrowLayerWidth {
        rl_fill_rows(y, b, batch, outFeatures)
        // Column o of y (stride O) += x · w[o, :].
        for o in 0..<outFeatures {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(batch), Int32(inFeatures), 1, x, Int32(inFeatures),
                        w + o * inFeatures, 1, 1, y + o, Int32(outFeatures))
        }
        return true
    }
    if isSmallGemm(batch: batch, inFeatures: inFeatures, outFeatures: outFeatures),
       rl_small_linear_forward(y, x, w, scratch, Int32(batch), Int32(inFeatures), Int32(outFeatures)) != 0 {
        return false
    }
    rl_fill_rows(y, b, batch, outFeatures)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(outFeatures), Int32(inFeatures),
                1, x, Int32(inFeatures), w, Int32(inFeatures), 1, y, Int32(outFeatures))
    return true
}

/// Accumulates dw(O, I) += dyᵀ(O, B) · x(B, I) and db(O) += dyᵀ(O, B) · 1(B) when they are
/// given; writes dx(B, I) = dy(B, O) · w(O, I) when dx is given. `ones` holds at least `batch` ones.
@inlinable
func linearBackward(dinput dx: UnsafeMutablePointer<Float>?, dweight dw: UnsafeMutablePointer<Float>?,
                    dbias db: UnsafeMutablePointer<Float>?, doutput dy: UnsafePointer<Float>,
                    input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, ones: UnsafePointer<Float>,
                    batch: Int, inFeatures: Int, outFeatures: Int) {
    let narrow = outFeatures <= narrowLayerWidth
    let small = isSmallGemm(batch: batch, inFeatures: inFeatures, outFeatures: outFeatures)
    let smallWeightGradient = small && inFeatures >= smallGemmMinimum   // 4-wide rows: OpenBLAS wins (table above)
    if let dw {
        if narrow {
            // Row o of dw += xᵀ · dy[:, o] (column o of dy, stride O).
            for o in 0..<outFeatures {
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(batch), Int32(inFeatures), 1, x, Int32(inFeatures),
                            dy + o, Int32(outFeatures), 1, dw + o * inFeatures, 1)
            }
        } else if !(smallWeightGradient && rl_small_linear_dweight(dw, dy, x, Int32(batch), Int32(inFeatures), Int32(outFeatures)) != 0) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outFeatures), Int32(inFeatures), Int32(batch),
                        1, dy, Int32(outFeatures), x, Int32(inFeatures), 1, dw, Int32(inFeatures))
        }
    }
    if let db {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(batch), Int32(outFeatures), 1, dy, Int32(outFeatures), ones, 1, 1, db, 1)
    }
    if let dx {
        if narrow {
            // dx = Σ_o dy[:, o] ⊗ w[o, :], rank-1 updates onto zero.
            dx.update(repeating: 0, count: batch * inFeatures)
            for o in 0..<outFeatures {
                cblas_sger(CblasRowMajor, Int32(batch), Int32(inFeatures), 1, dy + o, Int32(outFeatures),
                           w + o * inFeatures, 1, dx, Int32(inFeatures))
            }
        } else if !(small && rl_small_linear_dinput(dx, dy, w, Int32(batch), Int32(inFeatures), Int32(outFeatures)) != 0) {
            // Zeroed here and accumulated (β = 1) rather than β = 0: OpenBLAS's own zeroing pass
            // for β = 0 is slower than memset (256³ product: 397 vs 382 µs with memset).
            dx.update(repeating: 0, count: batch * inFeatures)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(inFeatures), Int32(outFeatures),
                        1, dy, Int32(outFeatures), w, Int32(inFeatures), 1, dx, Int32(inFeatures))
        }
    }
}
