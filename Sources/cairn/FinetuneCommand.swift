import ArgumentParser
import Foundation
import Training

/// `cairn finetune CONFIG`: fine-tunes from a checkpoint as the config's `finetune` section says.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune from a checkpoint (.pth, .safetensors, a checkpoint directory or runs/x/checkpoints/latest).",
        discussion: """
        Prints what loaded (the load report), then trains; with a new head and validation data it also
        reports old- and new-class validation accuracy and forgetting after every epoch.
        Examples:
          cairn finetune examples/shapes_finetune.yaml --run-dir runs/shapes5
          cairn finetune examples/shapes_finetune.yaml --from runs/shapes/checkpoints/latest
        """)

    @Argument(help: "YAML run config with a finetune section (see docs/config.md).") var config: String
    @Option(help: "Checkpoint to start from (overrides finetune.from).") var from: String?
    @Option(help: "Run directory (checkpoints/, logs/, config.yaml).") var runDir = "runs/finetune"
    @Option(name: .customLong("set"), help: "Override a config key: key.path=value (YAML scalar); repeatable.")
    var overrides: [String] = []
    @Flag(help: "Do not draw a progress bar.") var quiet = false

    func run() throws {
        var cfg = try RunConfig.load(path: config, overrides: overrides)
        guard cfg.finetune != nil else { throw CLIError.usage("\(config): no finetune section") }
        if let from { cfg.finetune!.from = from }
        let dir = URL(fileURLWithPath: runDir)
        // Build first: a bad data folder, model or base checkpoint fails before the run directory is created.
        let (trainer, tuner) = try FineTuner.makeTrainer(config: cfg, runDirectory: dir, progress: !quiet)
        try RunLauncher.writeConfig(cfg, to: dir)
        print("loaded \(tuner.source.path)")
        print(tuner.loadReport.rendered())
        if let r = tuner.optimizerReport {
            print("optimizer state: carried \(r.carried.count), fresh \(r.fresh.count), dropped \(r.dropped.count), "
                  + "shape changed (fresh) \(r.mismatched.count)"
                  + (r.mismatched.isEmpty ? "" : " [\(r.mismatched.joined(separator: ", "))]"))
        }
        if !tuner.frozen.isEmpty { print("frozen: \(tuner.frozen.joined(separator: ", "))") }
        FinetuneCommand.monitorForgetting(trainer, tuner)
        let result = try trainer.fit(resume: .never)
        print(TrainCommand.summary(result))
    }

    /// With a new head and validation data, reports old- and new-class accuracy and forgetting per epoch.
    static func monitorForgetting(_ trainer: Trainer, _ tuner: FineTuner) {
        guard let old = tuner.oldClassCount, let val = trainer.valData else { return }
        trainer.callbacks.append(ForgettingMonitor(oldClassCount: old, data: val) { epoch, m in
            print("epoch \(epoch): " + m.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }
                .joined(separator: " "))
        })
    }
}
