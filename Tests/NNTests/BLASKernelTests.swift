import Foundation
import NN
import Testing
import TestKernelPins
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS falls back to generic SSE3 kernels on CPUs newer than it knows (3x slower products
/// on the Xeon this was found on); `Sources/CSupport/BLASKernels.c` replaces them at start.
@Suite struct BLASKernelTests {
    /// The CPU's feature flags from /proc/cpuinfo.
    static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: ":").last!.split(separator: " ").map(String.init))
    }

    @Test func anAVX2CPURunsNoGenericKernel() {
        let flags = Self.cpuFlags
        // (The test process pins OPENBLAS_CORETYPE=Haswell, Tests/TestKernelPins; run rl-train to
        // see the start-up replacement itself at work on a CPU OpenBLAS does not know.)
        guard flags.contains("avx2"), flags.contains("fma") else { return }
        let generic: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "katmai", "coppermine",
                                    "northwood", "banias", "atom", "athlon", "opteron", "opteron_sse3", "barcelona", "unknown"]
        #expect(!generic.contains(BLAS.coreName.lowercased()), "OpenBLAS runs \(BLAS.coreName) on a CPU with AVX2 and FMA")
        if let replaced = BLAS.replacedKernel {
            #expect(generic.contains(replaced.lowercased()))
            #expect(BLAS.coreName != replaced)
        }
    }

    /// The exact learning figures hold for the AVX2 kernels: the test process runs them whatever
    /// the CPU prefers (or the caller chose and says so), in its own products and in the rl-train
    /// processes it starts.
    @Test func theTestProcessRunsThePinnedKernels() throws {
        let flags = Self.cpuFlags
        let pins = String(cString: rl_test_kernel_pins())
        guard flags.contains("avx2"), flags.contains("fma") else {
            #expect(pins.hasPrefix("nothing pinned"), "\(pins)")
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let coretype = try #require(environment["OPENBLAS_CORETYPE"], "\(pins)")
        #expect(BLAS.coreName.lowercased() == coretype.lowercased(), "OpenBLAS runs \(BLAS.coreName); pinned: \(pins)")
        #expect(environment["LIBXSMM_TARGET"] != nil, "\(pins)")
        #expect(pins == "OPENBLAS_CORETYPE=\(BLAS.coreName) LIBXSMM_TARGET=\(environment["LIBXSMM_TARGET"] ?? "")", "\(pins)")
    }
}
