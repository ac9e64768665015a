// swift-tools-version:6.1
import PackageDescription

// Release builds of the numeric modules skip bounds checks in hot loops; every index is validated
// at the public API boundary instead.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Cairn", targets: ["TensorCore", "NN", "Optimizers", "Checkpoint", "Data", "Training"]),
        .executable(name: "cairn", targets: ["cairn"]),
        .executable(name: "cairn-crash-helper", targets: ["CairnCrashHelper"]),
        .executable(name: "cairn-train-helper", targets: ["CairnTrainHelper"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // Element-wise C kernels built per instruction set (AVX-512, AVX2+FMA, baseline) and chosen at
        // load time; contraction off so only the explicit fmaf calls fuse, as in PyTorch's kernels.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])]),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
        .target(name: "NN", dependencies: ["TensorCore"], swiftSettings: fast),
        // -fno-math-errno makes squareRoot() a plain sqrt instruction, so the fused optimizer loops vectorize.
        .target(name: "Optimizers", dependencies: ["TensorCore", "NN", "CKernels"],
                swiftSettings: fast + [.unsafeFlags(["-Xcc", "-fno-math-errno"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Checkpoint", dependencies: [
            "TensorCore", "NN", "Optimizers", "CZlib",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: fast),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", providers: [.apt(["libjpeg-dev"])]),
        .target(name: "Data", dependencies: ["TensorCore", "NN", "CPNG", "CJPEG"], swiftSettings: fast),
        .target(name: "Training", dependencies: [
            "TensorCore", "NN", "Optimizers", "Checkpoint", "Data",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: fast),
        .executableTarget(name: "cairn", dependencies: [
            "TensorCore", "NN", "Optimizers", "Checkpoint", "Data", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "CairnCrashHelper", dependencies: ["TensorCore", "NN", "Optimizers", "Checkpoint"]),
        .executableTarget(name: "CairnTrainHelper", dependencies: ["TensorCore", "NN", "Optimizers", "Data", "Training"]),
        .target(name: "CairnTestSupport", dependencies: ["TensorCore"], path: "Tests/CairnTestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CairnTestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["TensorCore", "NN", "CairnTestSupport"]),
        .testTarget(name: "OptimizersTests", dependencies: ["TensorCore", "NN", "Optimizers", "CairnTestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["TensorCore", "NN", "Optimizers", "Checkpoint", "Data", "Training", "CairnTestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["TensorCore", "NN", "Checkpoint", "Data", "CairnTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TensorCore", "NN", "Checkpoint"]),
        .testTarget(name: "CheckpointTests", dependencies: ["TensorCore", "NN", "Optimizers", "Checkpoint", "CairnTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
