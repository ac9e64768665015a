import Foundation
import XCTest

/// `cairn data shapes`, `cairn train` and `cairn resume` on the example config, end to end.
final class TrainCommandTests: XCTestCase {
    private var example: String {
        URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/shapes.yaml").path
    }

    func testTrainThenResumeContinuesFromLatestCheckpoint() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let train = tmp.appendingPathComponent("train").path, val = tmp.appendingPathComponent("val").path
        let run = tmp.appendingPathComponent("run").path
        XCTAssertEqual(try CLIRunner.run(["data", "shapes", train, "--per-class", "20", "--seed", "1"]).status, 0)
        XCTAssertEqual(try CLIRunner.run(["data", "shapes", val, "--per-class", "6", "--seed", "2"]).status, 0)
        let sets = ["--set", "data.train.image_folder=\(train)", "--set", "data.val.image_folder=\(val)"]
        let first = try CLIRunner.run(["train", example, "--run-dir", run, "--quiet", "--set", "training.epochs=1"] + sets)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("at step 2, epoch 1"), first.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/config.yaml"))

        let second = try CLIRunner.run(["resume", run, "--quiet", "--set", "training.epochs=2"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("resumed from"), second.stdout)
        XCTAssertTrue(second.stdout.contains("at step 4, epoch 2"), second.stdout)
        let ckpts = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { !$0.hasPrefix(".") }
        XCTAssertTrue(ckpts.contains("ckpt-0002-000004"), "\(ckpts)")
        XCTAssertEqual(try CLIRunner.run(["verify", run + "/checkpoints/ckpt-0002-000004"]).status, 0)
    }

    func testConfigTypoIsRejectedNamingKeyAndLine() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let cfg = tmp.appendingPathComponent("bad.yaml")
        try Data("seed: 1\nmodel:\n  input: [4]\n  layers:\n    - linear: {out: 2}\ndata:\n  train: {csv: x.csv}\n  batch_sise: 4\ntraining: {epochs: 1}\n".utf8).write(to: cfg)
        let r = try CLIRunner.run(["train", cfg.path, "--run-dir", tmp.appendingPathComponent("run").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad.yaml:8"), r.stderr)
        XCTAssertTrue(r.stderr.contains("batch_sise"), r.stderr)
    }

    func testResumeOfAMissingRunNamesItsConfig() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let r = try CLIRunner.run(["resume", tmp.appendingPathComponent("missing").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("config.yaml"), r.stderr)
    }
}

/// `cairn train` into a directory that holds an earlier run.
final class TrainCommandRunDirectoryTests: XCTestCase {
    func testAnEarlierRunsCheckpointsAreNeverMixedInOrDeletedWithoutForce() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let data = tmp.appendingPathComponent("data").path
        XCTAssertEqual(try CLIRunner.run(["data", "shapes", data, "--per-class", "4", "--size", "8", "--seed", "1"]).status, 0)
        let yaml = tmp.appendingPathComponent("run.yaml")
        try Data("""
        model: {input: [1, 8, 8], layers: [flatten, {linear: {out: 3}}]}
        data: {train: {image_folder: \(data)}, batch_size: 4}
        optimizer: {name: sgd, lr: 0.1}
        training: {max_steps: 2}
        checkpoint: {every_n_steps: 1}
        """.utf8).write(to: yaml)
        let run = tmp.appendingPathComponent("run").path
        XCTAssertEqual(try CLIRunner.run(["train", yaml.path, "--run-dir", run, "--quiet"]).status, 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted()
        let again = try CLIRunner.run(["train", yaml.path, "--run-dir", run, "--quiet"])
        XCTAssertEqual(again.status, 2, again.stderr)
        XCTAssertTrue(again.stderr.contains("cairn resume"), again.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted(), before)
        let forced = try CLIRunner.run(["train", yaml.path, "--run-dir", run, "--quiet", "--force", "--set", "training.max_steps=1"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { !$0.hasPrefix(".") }.count, 1)
    }
}
