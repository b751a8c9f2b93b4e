// swift-tools-version: 6.1
// The layout follows ../shared/DESIGN.md: one module per concern, dependencies pointing one way.
import PackageDescription

let package = Package(
    name: "SwiftRL",
    products: [
        .library(name: "Core", targets: ["Core"]),
        .library(name: "Shared", targets: ["Shared"]),
        .library(name: "Envs", targets: ["Envs"]),
        .library(name: "MuJoCoEnvs", targets: ["MuJoCoEnvs"]),
        .library(name: "SeededRandom", targets: ["SeededRandom"]),
        .library(name: "StateDictIO", targets: ["StateDictIO"]),
        .library(name: "Memory", targets: ["Memory"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Collectors", targets: ["Collectors"]),
        .library(name: "Learner", targets: ["Learner"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        // What a program of its own needs for full runs (configs, checkpoints, resume, reports,
        // its own environments, algorithms and callbacks registered on copies of the registries).
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "Sweeps", targets: ["Sweeps"]),
        .executable(name: "rl-train", targets: ["RLTrain"]),
        .executable(name: "remote-ingest-bench", targets: ["RemoteIngestBench"]),
    ],
    // Collectors on other machines need gRPC, whose stack (SwiftNIO, HTTP/2, BoringSSL) takes
    // minutes to build on 2 cores: it is built only with `--traits Remote` (scripts/build-remote.sh).
    traits: [
        .trait(name: "Remote", description: "rl-train collect and train --serve: transitions and weights over gRPC"),
        // Gymnasium's MuJoCo tasks stepped natively need libmujoco (scripts/install-deps.sh --mujoco),
        // which a default build must not require: built only with `--traits MuJoCo` (scripts/build-mujoco.sh).
        .trait(name: "MuJoCo", description: "Gymnasium's MuJoCo tasks (HalfCheetah-v5, Hopper-v5, ...) on the MuJoCo C library"),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Remote collectors (the `Remote` trait only): gRPC over HTTP/2 on SwiftNIO.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    ],
    targets: [
        // System libraries: OpenBLAS for every matmul, zlib for compressed state dicts.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // OpenSSL's libcrypto, for SHA-256 of canonical configs (run identities).
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", providers: [.apt(["libssl-dev"])]),

        // C helpers Swift cannot express directly: glibc's sincos, prefetch, huge-page advice, and the
        // learner's elementwise kernels built for AVX2+FMA with a portable fallback chosen at run time.
        .target(name: "CSupport", linkerSettings: [.linkedLibrary("m")]),
        // Small-matrix products through libxsmm's JIT kernels (static library from libxsmm-dev; it
        // calls BLAS for shapes it does not compile, hence openblas after it).
        .target(name: "CSmallGemm", linkerSettings: [
            .linkedLibrary("xsmm"), .linkedLibrary("openblas"), .linkedLibrary("dl"), .linkedLibrary("pthread"), .linkedLibrary("m"),
        ]),
        // Seeded, serialisable random streams shared by environments, memory, networks and collectors.
        .target(name: "SeededRandom"),
        // Named tensors and their file format: safetensors inside gzip, verified on load, written atomically.
        .target(name: "StateDictIO", dependencies: ["CZlib", "Shared"]),
        // Replay memory: lock-free multi-producer table, uniform and prioritized sampling, rate limit.
        .target(name: "Memory", dependencies: [
            "SeededRandom", "StateDictIO", "CSupport", "Shared", .product(name: "Atomics", package: "swift-atomics"),
        ]),
        // Small dense networks on OpenBLAS: MLP, losses, Gaussian policy head, Adam, state dicts.
        .target(name: "NN", dependencies: [
            "CBLAS", "CSmallGemm", "CSupport", "SeededRandom", "StateDictIO", "Shared", .product(name: "Atomics", package: "swift-atomics"),
        ]),
        // Collector threads: step environments with an agent, write transitions into Memory.
        // Small general helpers (a lock-protected value, filled raw buffers).
        .target(name: "Shared", dependencies: ["CSupport"]),
        // What every layer of a run shares: the acting side of a policy (`Agent`), the run's
        // control (counters, episode stream, stop requests), its result and its files' names.
        .target(name: "Core", dependencies: ["SeededRandom", "StateDictIO", "Shared", .product(name: "Atomics", package: "swift-atomics")]),
        .target(name: "Collectors", dependencies: [
            "Core", "Envs", "Memory", "SeededRandom", "StateDictIO", "Shared", .product(name: "Atomics", package: "swift-atomics"),
        ]),
        // The learner: Trainer, callbacks, algorithms (DQN) and their acting side.
        .target(name: "Learner", dependencies: ["Core", "NN", "Memory", "SeededRandom", "StateDictIO", "Shared"]),
        // Seeing training: TensorBoard event files, episodes.csv, SVG plots and HTML reports, read
        // back from run directories (knows no algorithm).
        .target(name: "Reporting", dependencies: ["Core", "Learner"]),
        // Wires a run together: environments, memory, collectors, networks, trainer.
        .target(name: "Experiments", dependencies: [
            "Core", "Envs", "MuJoCoEnvs", "Memory", "Collectors", "NN", "Learner", "Reporting", "SeededRandom", "StateDictIO", "CCrypto", "Shared",
            .product(name: "Atomics", package: "swift-atomics"), .product(name: "Yams", package: "Yams"),
        ]),
        // Sweeps: grids of configs, their launchers (local processes, Ray) and result tables.
        .target(name: "Sweeps", dependencies: [
            "Core", "Experiments", "Reporting", "Shared", .product(name: "Yams", package: "Yams"),
        ]),
        // Collectors on other machines: the learner's gRPC service (transitions in, weights out) and
        // the remote collector process. Without the `Remote` trait only its gRPC-free parts are
        // built (the wire format, the batch queue, the weights signal), and tested under TSan.
        .target(name: "Remote", dependencies: [
            "Core", "Experiments", "Collectors", "Memory", "NN", "Envs", "MuJoCoEnvs", "Shared",
            .product(name: "GRPCCore", package: "grpc-swift-2", condition: .when(traits: ["Remote"])),
            .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport", condition: .when(traits: ["Remote"])),
            .product(name: "GRPCInProcessTransport", package: "grpc-swift-2", condition: .when(traits: ["Remote"])),
        ]),
        // The remote ingest benchmark (scripts/bench-remote-ingest.sh); empty without the `Remote` trait.
        .executableTarget(name: "RemoteIngestBench", dependencies: [.target(name: "Remote", condition: .when(traits: ["Remote"]))]),
        // Environment protocol, spaces, built-in environments, registry, vectorized stepping.
        .target(name: "Envs", dependencies: ["SeededRandom", "CSupport", "Shared"]),
        // MuJoCo's C library (the `MuJoCo` trait only): headers and libmujoco.so in /usr/local.
        .systemLibrary(name: "CMuJoCo", path: "Sources/CMuJoCo", pkgConfig: "mujoco"),
        // Gymnasium's MuJoCo tasks on the MuJoCo C library, identical to Gymnasium step and reset.
        // Without the `MuJoCo` trait the ids are still known and say how to get the library.
        .target(name: "MuJoCoEnvs", dependencies: [
            "Envs", "SeededRandom", "Shared", .target(name: "CMuJoCo", condition: .when(traits: ["MuJoCo"])),
        ]),
        // The `rl-train` executable: argument parsing and nothing else.
        .executableTarget(
            name: "RLTrain",
            dependencies: [
                "Core", "Envs", "MuJoCoEnvs", "Experiments", "Learner", "Reporting", "Shared", "StateDictIO", "Sweeps",
                .target(name: "Remote", condition: .when(traits: ["Remote"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),

        // Pins the AVX2 kernels of OpenBLAS and libxsmm in the test process before any test
        // runs, so the exact learning figures hold under a plain `swift test` on any AVX2 machine.
        .target(name: "TestKernelPins", path: "Tests/TestKernelPins", linkerSettings: [
            .linkedLibrary("xsmm"), .linkedLibrary("openblas"), .linkedLibrary("dl"), .linkedLibrary("pthread"), .linkedLibrary("m"),
        ]),
        .testTarget(name: "LearnerTests", dependencies: ["Core", "TestKernelPins", "Learner", "Experiments", "Collectors", "NN", "Memory", "Envs", "SeededRandom", "StateDictIO"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Core", "TestKernelPins", "Shared", "Experiments", "Sweeps", "Envs", "MuJoCoEnvs", "Reporting", "Learner", "Memory", "StateDictIO", "NN", "SeededRandom", "Collectors"]),
        .testTarget(name: "NNTests", dependencies: ["TestKernelPins", "NN", "CSmallGemm", "SeededRandom", "StateDictIO"]),
        .testTarget(name: "MemoryTests", dependencies: ["Memory", "SeededRandom", "StateDictIO"]),
        .testTarget(name: "StateDictIOTests", dependencies: ["StateDictIO", "SeededRandom"]),
        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom", "CCrypto"]),
        .testTarget(name: "EnvsTests", dependencies: ["Envs", "SeededRandom", "CSupport"]),
        .testTarget(name: "RemoteTests", dependencies: ["Core", "TestKernelPins", 
            "Experiments", "Collectors", "Memory", "NN", "Envs", "SeededRandom", "Learner", "Shared", "Remote",
            .product(name: "GRPCCore", package: "grpc-swift-2", condition: .when(traits: ["Remote"])),
            .product(name: "GRPCInProcessTransport", package: "grpc-swift-2", condition: .when(traits: ["Remote"])),
        ]),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        .testTarget(name: "MuJoCoEnvsTests", dependencies: ["MuJoCoEnvs", "Envs", "SeededRandom"]),
        .testTarget(name: "CollectorsTests", dependencies: ["Core", "Collectors", "Envs", "Memory", "SeededRandom", "StateDictIO"]),
        .testTarget(name: "SweepsTests", dependencies: ["Core", "TestKernelPins", "Sweeps", "Experiments", "Learner"]),
        .testTarget(name: "ReportingTests", dependencies: ["Core", "TestKernelPins", "Reporting", "Experiments", "Collectors", "Learner"]),
    ]
)
