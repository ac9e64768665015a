import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import Checkpoint
import Data
import Training

/// A small, fully seeded training setup: MLP with BatchNorm and Dropout on synthetic 3-class data.
struct TrainerFixture {
    let model: Sequential
    let optimizer: Adam
    let scheduler: StepLR
    let train: TensorDataset
    let val: TensorDataset

    init() {
        var rng = RandomGenerator(seed: 7)
        func dataset(_ n: Int) -> TensorDataset {
            let x = rng.normal([n, 6])
            let v = x.toArray()
            var labels: [Int] = []
            for i in 0..<n {
                let a: Float = v[i * 6] + v[i * 6 + 1]
                labels.append((a > 0 ? 1 : 0) + (v[i * 6 + 2] > 0.5 ? 1 : 0))
            }
            return TensorDataset(inputs: x, labels: labels)
        }
        train = dataset(52)  // 7 batches of 8 per epoch, the last one partial
        val = dataset(20)
        model = Sequential(Linear(6, 16, rng: &rng), BatchNorm1d(16), ReLU(), Dropout(p: 0.3, rng: &rng),
                           Linear(16, 3, rng: &rng))
        optimizer = Adam(model.namedParameters(), lr: 0.01)
        scheduler = StepLR(optimizer, stepSize: 5, gamma: 0.9)
    }

    func trainer(_ options: TrainerOptions, lossFn: @escaping (Tensor, Tensor) -> Tensor = { Loss.crossEntropy($0, $1) })
        throws -> Trainer {
        try Trainer(model: model, optimizer: optimizer, scheduler: scheduler, lossFn: lossFn, trainData: train,
                    valData: val, options: options)
    }
}

/// Options shared by the resume tests.
func fixtureOptions(maxSteps: Int, runDirectory: URL?, everyNSteps: Int? = 1) -> TrainerOptions {
    TrainerOptions(batchSize: 8, seed: 11, maxSteps: maxSteps, gradClipNorm: 1.0,
                   checkpoint: .init(everyNSteps: everyNSteps), runDirectory: runDirectory, handleSignals: false)
}

/// A fresh empty temporary directory.
func makeTemporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("cairn-trainer-\(name)-\(UInt64.random(in: 0...UInt64.max))", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Float bit patterns of every tensor, keyed by name, for exact comparisons.
func bitPatterns(_ tensors: [(String, Tensor)]) -> [String: [UInt32]] {
    var out: [String: [UInt32]] = [:]
    for (k, t) in tensors {
        out[k] = t.dtype == .float32 ? t.toArray().map(\.bitPattern) : t.toInt64Array().map { UInt32(truncatingIfNeeded: $0) }
    }
    return out
}

/// Bit patterns of every optimizer state tensor and step, keyed "<param>.<buffer>".
func optimizerBits(_ state: [String: OptimizerState]) -> [String: [UInt32]] {
    var out: [String: [UInt32]] = [:]
    for (name, s) in state {
        if let step = s.step { out[name + ".step"] = [step.bitPattern] }
        for (k, t) in s.tensors { out[name + "." + k] = t.toArray().map(\.bitPattern) }
    }
    return out
}

/// The contents of a run's log file.
func logText(_ run: URL, _ file: String = "metrics.jsonl") throws -> String {
    try String(contentsOf: run.appendingPathComponent("logs").appendingPathComponent(file), encoding: .utf8)
}

/// Asserts two name → bits maps are equal, naming the differing keys instead of dumping every value.
func assertSameBits(_ a: [String: [UInt32]], _ b: [String: [UInt32]], _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    let keys = Set(a.keys).union(b.keys).sorted()
    let differing = keys.filter { a[$0] != b[$0] }
    XCTAssertTrue(differing.isEmpty, "\(what): \(differing.count) of \(keys.count) tensors differ: \(differing.prefix(8))",
                  file: file, line: line)
}
