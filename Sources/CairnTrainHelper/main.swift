// A fixed small training run for the kill-and-resume test (TrainerKillResumeTests).
//
// Usage: cairn-train-helper <run directory> <max steps>
// Trains an MLP with BatchNorm and Dropout on synthetic data (batch 8, shuffle on, Adam + StepLR,
// gradient clipping, validation each epoch), saving a checkpoint every step and resuming from the
// latest one when the run directory has any. Prints "step N" after each step.
import Foundation
import TensorCore
import NN
import Optimizers
import Data
import Training

let args = CommandLine.arguments
guard args.count >= 3, let maxSteps = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: cairn-train-helper <run directory> <max steps>\n".utf8))
    exit(2)
}

/// Prints each finished step so the parent can see progress.
final class StepPrinter: TrainerCallback {
    func onStepEnd(_ trainer: Trainer, metrics: StepMetrics) {
        print("step \(metrics.globalStep)")
        fflush(stdout)
    }
}

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
/// Trains (resuming when the run directory has a checkpoint); objects live in this scope so they are
/// released before exit, as in `cairn train`.
func run() -> Int32 {
    let train = dataset(52), val = dataset(20)
    let model = Sequential(Linear(6, 16, rng: &rng), BatchNorm1d(16), ReLU(), Dropout(p: 0.3, rng: &rng), Linear(16, 3, rng: &rng))
    let optimizer = Adam(model.namedParameters(), lr: 0.01)
    let scheduler = StepLR(optimizer, stepSize: 5, gamma: 0.9)
    let options = TrainerOptions(batchSize: 8, seed: 11, maxSteps: maxSteps, gradClipNorm: 1.0,
                                 checkpoint: .init(everyNSteps: 1, keepLast: 3),
                                 runDirectory: URL(fileURLWithPath: args[1]))
    do {
        let trainer = try Trainer(model: model, optimizer: optimizer, scheduler: scheduler, trainData: train,
                                  valData: val, options: options)
        trainer.callbacks = [StepPrinter()]
        let result = try trainer.fit(resume: .ifAvailable)
        print("done \(result.globalStep) \(result.stopReason.rawValue)")
        return 0
    } catch {
        FileHandle.standardError.write(Data("cairn-train-helper: \(error)\n".utf8))
        return 1
    }
}
exit(run())
