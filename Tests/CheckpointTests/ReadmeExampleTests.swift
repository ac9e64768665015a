import Foundation
import XCTest
import CairnTestSupport
import Checkpoint
import NN
import Optimizers
import TensorCore

/// Runs the README's checkpoint example as written, so the documentation cannot drift from the API.
final class ReadmeExampleTests: XCTestCase {
    func testReadmeCheckpointExample() throws {
        let runDir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-readme-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: runDir) }
        var streams = RNGStreams(seed: 42)
        let model = streams.withStream(RNGStreams.initStream) { rng in
            Sequential(Linear(4, 8, rng: &rng), ReLU(), Linear(8, 3, rng: &rng))
        }
        let optimizer = Adam(model.namedParameters(), lr: 1e-3)
        let scheduler = StepLR(optimizer, stepSize: 10)
        let loss = Loss.crossEntropy(model(testTensor([5, 4])), Tensor(indices: [0, 1, 2, 0, 1]))
        loss.backward()
        optimizer.step()
        scheduler.step()
        let (epoch, step) = (3, 7)

        // --- README ---
        let ckpt = Checkpoint.capture(model: model, optimizer: optimizer, schedulers: [scheduler], rng: streams,
                                      epoch: epoch, globalStep: step, metrics: ["val_loss": 0.31])
        try CheckpointStore.save(ckpt, to: runDir.appendingPathComponent("checkpoints/ckpt-0003"))

        let manager = try CheckpointManager(directory: runDir.appendingPathComponent("checkpoints"),
                                            schedule: SaveSchedule(everyNSteps: 500),
                                            retention: RetentionPolicy(keepLast: 3, keepBest: .init(MetricMonitor("val_loss", mode: .min), count: 1)))
        var restoredStep = -1
        if let latest = try manager.latest().checkpoint {
            let restored = try CheckpointStore.load(from: latest.url)
            let report = try restored.restore(into: model, optimizer: optimizer, schedulers: [scheduler])
            XCTAssertFalse(report.model.loaded.isEmpty)
            restoredStep = restored.trainerState.globalStep
        }
        // --- end README ---
        XCTAssertEqual(restoredStep, 7)

        // The PyTorch part of the README, on a file Cairn writes in PyTorch's DataParallel layout.
        let pth = runDir.appendingPathComponent("resnet.pth")
        var prefixed = StateDict()
        for (k, v) in model.stateDict() { prefixed["module." + k] = v }
        try TorchFile.write(TorchCheckpointLayout.value(from: prefixed), to: pth)
        // --- README ---
        let value = try TorchFile.read(contentsOf: pth)
        let found = try TorchCheckpointLayout.modelStateDict(in: value)   // strips DataParallel's "module."
        let report = try found.stateDict.load(into: model, policy: .nonStrict.remapping(.rename(["fc.weight": "2.weight"])))
        print(report.rendered())
        // --- end README ---
        XCTAssertEqual(report.loaded.count, 4)
        XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty)
    }
}
