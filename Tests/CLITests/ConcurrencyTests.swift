import Foundation
import XCTest
import Checkpoint

/// Two processes on one run directory: the second refuses while the first lives, takes over the
/// lock once it is killed, and readers of `latest` never see a partial checkpoint while saves and
/// retention run.
final class ConcurrencyTests: XCTestCase {
    func config(data: URL, steps: Int) -> String {
        """
        seed: 1
        model:
          input: [1, 16, 16]
          layers: [flatten, {linear: {out: 256}}, relu, {linear: {out: 3}}]
        data: {train: {image_folder: \(data.path)}, batch_size: 4, shuffle: true, prefetch: 0}
        optimizer: {name: adam, lr: 0.001}
        training: {max_steps: \(steps), log_every_n_steps: 1}
        checkpoint: {every_n_steps: 1, keep_last: 2}
        """
    }

    /// Starts `cairn train` in the background.
    func startTraining(_ yaml: URL, _ run: URL) throws -> Process {
        let p = Process()
        p.executableURL = try CLIRunner.executable()
        p.arguments = ["train", yaml.path, "--run-dir", run.path, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Waits until `run` has a checkpoint (the trainer is up and holds the lock).
    func waitForCheckpoint(_ run: URL, _ p: Process) throws {
        let ckpts = run.appendingPathComponent("checkpoints")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, p.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: ckpts.path)) ?? []
            if names.contains(where: { $0.hasPrefix("ckpt-") }) { return }
            usleep(10_000)
        }
        XCTFail("no checkpoint appeared")
    }

    func makeData(_ tmp: URL) throws -> URL {
        let data = tmp.appendingPathComponent("data")
        XCTAssertEqual(try CLIRunner.run(["data", "shapes", data.path, "--per-class", "4", "--size", "16", "--seed", "1"]).status, 0)
        return data
    }

    func testSecondProcessRefusesAndAKilledHoldersLockIsTakenOver() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let yaml = tmp.appendingPathComponent("run.yaml")
        try Data(config(data: try makeData(tmp), steps: 1_000_000).utf8).write(to: yaml)
        let run = tmp.appendingPathComponent("run")
        let first = try startTraining(yaml, run)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        try waitForCheckpoint(run, first)

        for args in [["train", yaml.path, "--run-dir", run.path, "--quiet"], ["resume", run.path, "--quiet"]] {
            let second = try CLIRunner.run(args)
            XCTAssertEqual(second.status, 1, args.joined(separator: " ") + ": " + second.stderr)
            XCTAssertTrue(second.stderr.contains("\(first.processIdentifier)"), "names the holder: \(second.stderr)")
        }
        XCTAssertTrue(first.isRunning, "the refused processes left the first one alone")

        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let step = try LatestCheckpoint.find(in: run.appendingPathComponent("checkpoints"), backend: DirectoryStoreBackend())
            .checkpoint?.globalStep ?? 0
        let resumed = try CLIRunner.run(["resume", run.path, "--quiet", "--set", "training.max_steps=\(step + 2)"])
        XCTAssertEqual(resumed.status, 0, "a dead holder's lock is taken over: " + resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("at step \(step + 2)"), resumed.stdout)
    }

    func testReadersOfLatestNeverSeeAPartialCheckpointWhileSavesRun() throws {
        let tmp = try CLIRunner.temporaryDirectory(self)
        let yaml = tmp.appendingPathComponent("run.yaml")
        try Data(config(data: try makeData(tmp), steps: 1_000_000).utf8).write(to: yaml)
        let run = tmp.appendingPathComponent("run")
        let writer = try startTraining(yaml, run)
        defer { if writer.isRunning { kill(writer.processIdentifier, SIGKILL); writer.waitUntilExit() } }
        try waitForCheckpoint(run, writer)

        // Every step saves and retention deletes the third-newest, so `latest` keeps moving.
        let dir = run.appendingPathComponent("checkpoints")
        var loaded = 0, deletedUnderneath = 0, steps = Set<Int>()
        var bad: [String] = []
        let end = Date().addingTimeInterval(3)
        while Date() < end {
            guard let entry = try LatestCheckpoint.find(in: dir, backend: DirectoryStoreBackend()).checkpoint else { continue }
            do {
                let c = try CheckpointStore.load(from: entry.url)
                loaded += 1
                steps.insert(c.trainerState.globalStep)
                if c.trainerState.globalStep != entry.globalStep { bad.append("step \(entry.globalStep) read as \(c.trainerState.globalStep)") }
            } catch let e as CheckpointError {
                // Retention may delete the directory while it is read; anything else would be a torn read.
                switch e {
                case .missingFile, .missingManifest, .notADirectory, .missingRequiredFile: deletedUnderneath += 1
                case .io(_, _, let code) where code == ENOENT: deletedUnderneath += 1
                case .safetensors(.io(_, _, let code)) where code == ENOENT: deletedUnderneath += 1
                default: bad.append("\(e)")
                }
            }
        }
        XCTAssertTrue(bad.isEmpty, "torn or inconsistent reads: \(bad.prefix(5))")
        XCTAssertGreaterThan(loaded, 5)
        XCTAssertGreaterThan(steps.count, 2, "latest moved while reading (\(loaded) loads, \(deletedUnderneath) deleted underneath)")
    }
}
