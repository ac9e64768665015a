import Foundation
import NN
import Optimizers
import TensorCore

/// The training-step workloads of `shared/bench/torch_baseline.py`, timed the same way.
enum TrainBench {
    /// Best-of-5 mean ms per step after `warm` warm-up steps, as the baseline measures.
    static func time(model: Module, x: Tensor, y: Tensor, steps: Int, warm: Int = 10) -> Double {
        let optimizer = Adam(model.namedParameters(), lr: 1e-3)
        func step() {
            optimizer.zeroGrad()
            let loss = Loss.crossEntropy(model(x), y)
            loss.backward()
            optimizer.step()
        }
        for _ in 0..<warm { step() }
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { step() }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / Double(steps)
            best = min(best, dt)
        }
        return best
    }

    /// MLP 784-512-512-10 (ReLU), batch 128.
    static func mlp() -> Double {
        var rng = RandomGenerator(seed: 0)
        let model = Sequential(Linear(784, 512, rng: &rng), ReLU(), Linear(512, 512, rng: &rng), ReLU(), Linear(512, 10, rng: &rng))
        let x = rng.normal([128, 784])
        let y = Tensor(indices: (0..<128).map { _ in rng.nextInt(below: 10) })
        return time(model: model, x: x, y: y, steps: 50)
    }

    /// conv(1→16,5)-relu-maxpool2-conv(16→32,5)-relu-maxpool2-flatten-fc(512→10), batch 64.
    static func cnn() -> Double {
        var rng = RandomGenerator(seed: 0)
        let model = Sequential(
            Conv2d(1, 16, kernelSize: (5, 5), rng: &rng), ReLU(), MaxPool2d(kernelSize: (2, 2)),
            Conv2d(16, 32, kernelSize: (5, 5), rng: &rng), ReLU(), MaxPool2d(kernelSize: (2, 2)),
            Flatten(), Linear(512, 10, rng: &rng))
        let x = rng.normal([64, 1, 28, 28])
        let y = Tensor(indices: (0..<64).map { _ in rng.nextInt(below: 10) })
        return time(model: model, x: x, y: y, steps: 20)
    }

    /// Runs the PyTorch baseline with the same thread count (train workloads unless `environment`
    /// says otherwise) and parses its JSON.
    static func runBaseline(script: String, threads: Int, environment extra: [String: String] = [:]) throws -> [String: Double] {
        let env = ["THREADS": String(threads), "WORKLOADS": "train"].merging(extra) { $1 }
        let r = try BenchResult.runJSON(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script], environment: env)
        guard let values = r.values else { throw BenchError.baselineFailed(script: script, status: r.status) }
        return values
    }
}

/// Failures of the benchmark harness.
enum BenchError: Error, CustomStringConvertible {
    case baselineFailed(script: String, status: Int32)

    var description: String {
        switch self {
        case let .baselineFailed(script, status):
            return "the PyTorch baseline \(script) failed (exit \(status)); is torch installed? (make deps-python)"
        }
    }
}
