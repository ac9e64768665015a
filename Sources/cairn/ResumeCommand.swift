import ArgumentParser
import Foundation
import Training

/// `cairn resume DIR`: continues a run from its newest checkpoint that verifies.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a run from its latest valid checkpoint to the configured end (needs only the run directory).",
        discussion: """
        The run's config.yaml is read back; --set may change it (e.g. a lower LR or more epochs).
        Examples:
          cairn resume runs/shapes
          cairn resume runs/shapes --set training.epochs=20
          cairn resume runs/shapes --set optimizer.lr=0.0001   # lower LR; the log records the change
        """)

    @Argument(help: "Run directory written by `cairn train`.") var runDir: String
    @Option(name: .customLong("set"), help: "Override a config key: key.path=value; repeatable.") var overrides: [String] = []
    @Flag(help: "Do not draw a progress bar.") var quiet = false

    func run() throws {
        let dir = URL(fileURLWithPath: runDir)
        let cfg = try RunLauncher.readConfig(from: dir, overrides: overrides)
        if !overrides.isEmpty {
            print("overrides: \(overrides.joined(separator: ", "))")
            try RunLauncher.writeConfig(cfg, to: dir)
        }
        let trainer: Trainer
        if cfg.finetune != nil {
            // A fine-tuning run rebuilds its grown model, frozen set and groups, then restores over them.
            let (t, tuner) = try FineTuner.makeTrainer(config: cfg, runDirectory: dir, progress: !quiet)
            FinetuneCommand.monitorForgetting(t, tuner)
            trainer = t
        } else {
            trainer = try RunLauncher.makeTrainer(config: cfg, runDirectory: dir, progress: !quiet,
                                                  classMap: try RunLauncher.savedClassMap(runDirectory: dir))
        }
        // `--set optimizer.lr=…` must win over the LR restored from the checkpoint.
        trainer.overriddenHyperparameters = RunLauncher.overriddenHyperparameters(overrides)
        let result = try trainer.fit(resume: .required)
        if let from = result.resumedFrom { print("resumed from \(from.path)") }
        print(TrainCommand.summary(result))
    }
}
