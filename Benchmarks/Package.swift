// swift-tools-version: 6.1
// Throughput benchmarks, kept in their own package so their harness (ordo-one/benchmark) does
// not add to the main package's build and test time. Run: `cd Benchmarks && swift package benchmark`.
import PackageDescription

let package = Package(
    name: "SwiftRLBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "SwiftRL", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EnvStepping",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Envs", package: "SwiftRL"),
                .product(name: "SeededRandom", package: "SwiftRL"),
            ],
            path: "EnvStepping",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReplayMemory",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Memory", package: "SwiftRL"),
                .product(name: "SeededRandom", package: "SwiftRL"),
            ],
            path: "ReplayMemory",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Rollouts",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Collectors", package: "SwiftRL"),
                .product(name: "Core", package: "SwiftRL"),
                .product(name: "Envs", package: "SwiftRL"),
                .product(name: "Learner", package: "SwiftRL"),
                .product(name: "Memory", package: "SwiftRL"),
                .product(name: "NN", package: "SwiftRL"),
            ],
            path: "Rollouts",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LearnerUpdates",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NN", package: "SwiftRL"),
                .product(name: "Learner", package: "SwiftRL"),
                .product(name: "Memory", package: "SwiftRL"),
                .product(name: "SeededRandom", package: "SwiftRL"),
            ],
            path: "LearnerUpdates",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
