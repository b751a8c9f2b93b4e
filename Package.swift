// swift-tools-version: 6.1
// The layout follows ../shared/DESIGN.md: one module per concern, dependencies pointing one way.
import PackageDescription

let package = Package(
    name: "SwiftRL",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Envs", targets: ["Envs"]),
        .library(name: "SeededRandom", targets: ["SeededRandom"]),
        .library(name: "StateDictIO", targets: ["StateDictIO"]),
        .library(name: "Memory", targets: ["Memory"]),
        .executable(name: "rl-train", targets: ["RLTrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        // System libraries: OpenBLAS for every matmul, zlib for compressed state dicts.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),

        // glibc math extensions Swift's Glibc module does not export (sincos).
        .target(name: "CLibmExtras", linkerSettings: [.linkedLibrary("m")]),
        // Seeded, serialisable random streams shared by environments, memory, networks and collectors.
        .target(name: "SeededRandom"),
        // Named tensors and their file format: safetensors inside gzip, verified on load, written atomically.
        .target(name: "StateDictIO", dependencies: ["CZlib"]),
        // Replay memory: lock-free multi-producer table, uniform and prioritized sampling, rate limit.
        .target(name: "Memory", dependencies: [
            "SeededRandom", "StateDictIO", .product(name: "Atomics", package: "swift-atomics"),
        ]),
        // Environment protocol, spaces, built-in environments, registry, vectorized stepping.
        .target(name: "Envs", dependencies: ["SeededRandom", "CLibmExtras"]),
        // The `rl-train` executable: argument parsing and nothing else.
        .executableTarget(
            name: "RLTrain",
            dependencies: [
                "Envs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "MemoryTests", dependencies: ["Memory", "SeededRandom", "StateDictIO"]),
        .testTarget(name: "StateDictIOTests", dependencies: ["StateDictIO", "SeededRandom"]),
        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom"]),
        .testTarget(name: "EnvsTests", dependencies: ["Envs", "SeededRandom", "CLibmExtras"]),
    ]
)
