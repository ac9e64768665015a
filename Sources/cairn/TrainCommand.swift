import ArgumentParser
import Foundation
import Training

/// `cairn train CONFIG`: trains a model described by a YAML run config into a run directory.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train from a YAML run config; checkpoints, logs and the effective config go into the run directory.",
        discussion: """
        SIGINT/SIGTERM finish the current step, save a checkpoint and exit; `cairn resume DIR` continues.
        Examples:
          cairn train examples/shapes.yaml --run-dir runs/shapes
          cairn train examples/shapes.yaml --set optimizer.lr=0.0005 --set training.epochs=3
          cairn train examples/shapes.yaml --run-dir runs/shapes --force   # start over, deleting its checkpoints
        """)

    @Argument(help: "YAML run config (see docs/config.md).") var config: String
    @Option(help: "Run directory (checkpoints/, logs/, config.yaml).") var runDir = "runs/run"
    @Option(name: .customLong("set"), help: "Override a config key: key.path=value (YAML scalar); repeatable.")
    var overrides: [String] = []
    @Flag(help: "Do not draw a progress bar.") var quiet = false
    @Flag(help: "Start over in a run directory that holds an earlier run's checkpoints (they are deleted).")
    var force = false

    func run() throws {
        let cfg = try RunConfig.load(path: config, overrides: overrides)
        let dir = URL(fileURLWithPath: runDir)
        try Self.checkFresh(dir, force: force)
        // Build first: a bad data folder or model fails before the run directory is created.
        let trainer = try RunLauncher.makeTrainer(config: cfg, runDirectory: dir, progress: !quiet)
        try RunLauncher.writeConfig(cfg, to: dir)
        let result = try trainer.fit(resume: .never)
        print(TrainCommand.summary(result))
    }

    /// Refuses a run directory that already holds checkpoints: a new run's saves would mix with the
    /// old ones, and "latest" (the highest step) could then be the old run's. `--force` deletes them.
    static func checkFresh(_ dir: URL, force: Bool) throws {
        let ckpts = dir.appendingPathComponent("checkpoints")
        // A live run in that directory is reported as such (naming its pid) before anything else.
        if FileManager.default.fileExists(atPath: ckpts.path) { try RunLock(directory: dir).release() }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: ckpts.path)) ?? []).filter { !$0.hasPrefix(".") }
        guard !names.isEmpty else { return }
        guard force else {
            throw CLIError.usage("\(dir.path) already holds checkpoints of an earlier run (\(names.sorted().last!), …); "
                                 + "continue it with `cairn resume \(dir.path)`, choose another --run-dir, "
                                 + "or pass --force to delete them and start over")
        }
        do { try FileManager.default.removeItem(at: ckpts) } catch {
            throw CLIError.badInput("\(ckpts.path): cannot delete the earlier run's checkpoints: \(error.localizedDescription)")
        }
    }

    /// One line on how the run ended.
    static func summary(_ r: FitResult) -> String {
        var s = "stopped (\(r.stopReason.rawValue)) at step \(r.globalStep), epoch \(r.epochsCompleted)"
        if let l = r.lastLoss { s += String(format: ", loss %.4f", l) }
        for (k, v) in r.lastValidation.sorted(by: { $0.key < $1.key }) { s += String(format: ", %@ %.4f", k, v) }
        if let c = r.lastCheckpoint { s += "; last checkpoint \(c.path)" }
        return s
    }
}
