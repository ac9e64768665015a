import ArgumentParser
import Checkpoint
import Data
import Foundation
import TensorCore
import Training

/// `cairn selftest resume`: trains a tiny CNN twice — once straight through, once in a child process
/// killed with SIGKILL at random steps and resumed each time — and checks both end bit-identical.
struct SelftestResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Kill -9 a real training process at random moments, resume it, and check it ends bit-identical to an uninterrupted run.",
        discussion: """
        The run uses shuffling, dropout, augmentation, background loading, an LR schedule and
        checkpoints every 3 steps, so every piece of state that exact resume needs is exercised.
        Prints PASS or FAIL (exit status 1) with what was compared.
        Examples:
          cairn selftest resume
          cairn selftest resume --kills 10 --seed 3 --json
        """)

    @Option(help: "How many times to kill the training process.") var kills = 5
    @Option(help: "Seed of the kill points (and of the run).") var seed: UInt64 = 1
    @Option(help: "Work directory (default: a new temporary directory, removed afterwards).") var dir: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard (1...50).contains(kills) else { throw ValidationError("--kills must be in 1...50, got \(kills)") }
    }

    /// The run's config: everything random is on, and checkpoints come often.
    static func config(data: URL) -> String {
        """
        seed: 7
        model:
          input: [1, 12, 12]
          layers:
            - conv2d: {out: 4, kernel: 3, padding: 1}
            - batchnorm2d
            - relu
            - maxpool2d: 2
            - flatten
            - dropout: 0.2
            - linear: {out: 3}
        data:
          train: {image_folder: \(data.path), augment: {random_crop: {padding: 2}, hflip: 0.5}}
          batch_size: 5
          shuffle: true
          prefetch: 2
        optimizer: {name: adam, lr: 0.01}
        scheduler: {name: cosine, t_max: 32}
        training: {epochs: 4, log_every_n_steps: 1, grad_clip: {norm: 1.0}}
        checkpoint: {every_n_steps: 3, keep_last: 2}
        """
    }

    func run() throws {
        let fm = FileManager.default
        let work = dir.map { URL(fileURLWithPath: $0) }
            ?? fm.temporaryDirectory.appendingPathComponent("cairn-selftest-\(UInt64.random(in: 0...UInt64.max))")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { if dir == nil { try? fm.removeItem(at: work) } }
        let data = work.appendingPathComponent("data")
        if !fm.fileExists(atPath: data.path) {
            try ShapesDataset.draw(to: data, perClass: 12, size: 12, seed: 1)
        }
        let configURL = work.appendingPathComponent("selftest.yaml")
        try Data(Self.config(data: data).utf8).write(to: configURL)
        let config = try RunConfig.load(path: configURL.path)
        let reference = work.appendingPathComponent("uninterrupted"), killed = work.appendingPathComponent("interrupted")
        for d in [reference, killed] where fm.fileExists(atPath: d.path) { try fm.removeItem(at: d) }

        try RunLauncher.writeConfig(config, to: reference)
        let straight = try RunLauncher.makeTrainer(config: config, runDirectory: reference, progress: false)
        let perEpoch = straight.loader.batchesPerEpoch
        let total = try straight.fit().globalStep

        // Distinct kill steps, in order; a kill lands right after that step's log record appears.
        var g = RandomGenerator(seed: seed)
        var points = Set<Int>()
        while points.count < min(kills, total - 1) { points.insert(1 + Int(g.nextUInt32() % UInt32(total - 1))) }
        let log = work.appendingPathComponent("interrupted.log")
        var events: [(killedAfter: Int, resumedFrom: Int)] = []
        var command = ["train", configURL.path, "--run-dir", killed.path, "--quiet"]
        for point in points.sorted() {
            let child = try ChildRun(command, log: log)
            let reached = child.wait { ChildRun.loggedStep(killed) >= point }
            child.send(SIGKILL)
            let status = child.wait()
            guard reached || status == 128 + SIGKILL else {
                throw CLIError.failed("the training process exited with status \(status) before step \(point); see \(log.path)")
            }
            let after = ChildRun.loggedStep(killed)
            let latest = (try? LatestCheckpoint.find(in: killed.appendingPathComponent("checkpoints"),
                                                     backend: DirectoryStoreBackend()).checkpoint?.globalStep) ?? nil
            events.append((after, latest ?? 0))
            if !json {
                print("kill -9 after step \(after) (epoch \(after / perEpoch), batch \(after % perEpoch))"
                      + (latest.map { "; latest checkpoint: step \($0)" } ?? "; no checkpoint yet"))
            }
            if latest != nil { command = ["resume", killed.path, "--quiet"] }
        }
        let last = try ChildRun(command, log: log)
        let status = last.wait()
        guard status == 0 else { throw CLIError.failed("the final resume exited with status \(status); see \(log.path)") }

        let comparison = try RunComparison(reference, killed)
        if json {
            let out: JSONValue = .object([
                "passed": .bool(comparison.identical),
                "steps": .int(Int64(total)),
                "kills": .array(events.map { .object(["killed_after_step": .int(Int64($0.killedAfter)),
                                                      "resumed_from_step": .int(Int64($0.resumedFrom))]) }),
                "tensors": .int(Int64(comparison.tensorsCompared)),
                "values": .int(Int64(comparison.valuesCompared)),
                "log_records": .int(Int64(comparison.logRecords)),
                "differences": .array(comparison.differences.map { .string($0) }),
            ])
            try JSONOutput.print(out)
        } else {
            print((comparison.identical ? "PASS: " : "FAIL: ") + "\(events.count) kill(s) in a \(total)-step run; "
                  + "resumed run vs uninterrupted run: " + comparison.summary)
        }
        if !comparison.identical { throw ExitCode(1) }
    }
}
