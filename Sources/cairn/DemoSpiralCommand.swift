import ArgumentParser
import Foundation
import NN
import Optimizers
import TensorCore

/// `cairn demo spiral`: trains a small MLP on spirals it generates and prints loss and accuracy per epoch.
struct DemoSpiralCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spiral",
        abstract: "Train a small MLP on generated 2-D spirals (3 classes) and print loss/accuracy per epoch.",
        discussion: "Example:\n  cairn demo spiral --epochs 30 --seed 7")

    @Option(help: "Number of epochs.") var epochs = 40
    @Option(help: "Random seed for data, initialization and shuffling.") var seed: UInt64 = 42
    @Option(help: "Points per class.") var perClass = 300
    @Option(help: "Mini-batch size.") var batchSize = 32
    @Option(help: "Adam learning rate.") var lr = 0.01

    func validate() throws {
        guard epochs > 0, perClass > 0, batchSize > 0, lr > 0 else {
            throw ValidationError("--epochs, --per-class, --batch-size and --lr must be positive")
        }
    }

    func run() throws {
        var streams = RNGStreams(seed: seed)
        let data = streams.withStream("data") { SpiralData(classes: 3, perClass: perClass, noise: 0.2, rng: &$0) }
        let model = streams.withStream(RNGStreams.initStream) { rng in
            Sequential(Linear(2, 64, rng: &rng), ReLU(), Linear(64, 64, rng: &rng), ReLU(), Linear(64, data.classes, rng: &rng))
        }
        let optimizer = Adam(model.namedParameters(), lr: lr)
        print("cairn demo: MLP 2-64-64-\(data.classes) on \(data.count) spiral points, Adam lr \(lr), batch \(batchSize)")
        print("epoch   loss     accuracy")
        let labels = data.y.toInt64Array()
        for epoch in 1...epochs {
            let order = streams.withStream(RNGStreams.shuffle) { $0.permutation(data.count) }
            var total = 0.0
            var batches = 0
            for start in stride(from: 0, to: data.count, by: batchSize) {
                let idx = Array(order[start..<min(start + batchSize, data.count)])
                let x = data.x.indexSelect(axis: 0, indices: idx)
                let y = Tensor(int64: idx.map { labels[$0] }, shape: [idx.count])
                optimizer.zeroGrad()
                let loss = Loss.crossEntropy(model(x), y)
                guard loss.item.isFinite else { throw ValidationError("loss became \(loss.item) at epoch \(epoch)") }
                loss.backward()
                optimizer.step()
                total += Double(loss.item)
                batches += 1
            }
            let accuracy = GradMode.noGrad { () -> Double in
                let pred = model(data.x).argmax(axis: 1).toInt64Array()
                return Double(zip(pred, labels).filter { $0 == $1 }.count) / Double(labels.count)
            }
            print(String(format: "%5d   %.4f   %.1f%%", epoch, total / Double(batches), accuracy * 100))
        }
    }
}
