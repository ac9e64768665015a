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
        """)

    @Argument(help: "YAML run config (see docs/config.md).") var config: String
    @Option(help: "Run directory (checkpoints/, logs/, config.yaml).") var runDir = "runs/run"
    @Option(name: .customLong("set"), help: "Override a config key: key.path=value (YAML scalar); repeatable.")
    var overrides: [String] = []
    @Flag(help: "Do not draw a progress bar.") var quiet = false

    func run() throws {
        let cfg = try RunConfig.load(path: config, overrides: overrides)
        let dir = URL(fileURLWithPath: runDir)
        try RunLauncher.writeConfig(cfg, to: dir)
        let trainer = try RunLauncher.makeTrainer(config: cfg, runDirectory: dir, progress: !quiet)
        let result = try trainer.fit(resume: .never)
        print(TrainCommand.summary(result))
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
