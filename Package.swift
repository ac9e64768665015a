// swift-tools-version:6.1
import PackageDescription

// Release builds of the numeric modules skip bounds checks in hot loops; every index is validated
// at the public API boundary instead.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Cairn", targets: ["TensorCore", "NN", "Optimizers"]),
        .executable(name: "cairn", targets: ["cairn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .target(name: "TensorCore", dependencies: ["CBLAS"], swiftSettings: fast),
        .target(name: "NN", dependencies: ["TensorCore"], swiftSettings: fast),
        .target(name: "Optimizers", dependencies: ["TensorCore", "NN"], swiftSettings: fast),
        .executableTarget(name: "cairn", dependencies: [
            "TensorCore", "NN", "Optimizers",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "CairnTestSupport", dependencies: ["TensorCore"], path: "Tests/CairnTestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CairnTestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["TensorCore", "NN", "CairnTestSupport"]),
        .testTarget(name: "OptimizersTests", dependencies: ["TensorCore", "NN", "Optimizers", "CairnTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
