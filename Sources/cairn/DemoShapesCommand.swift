import ArgumentParser
import Checkpoint
import Data
import Foundation
import Training

/// `cairn demo shapes`: the whole mission on generated shape images — train a CNN, interrupt it with
/// SIGTERM mid-epoch, resume, prove the result equals an uninterrupted run, then add two classes and
/// fine-tune with and without rehearsal, printing what each variant remembers and learns.
struct DemoShapesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shapes",
        abstract: "Train, interrupt, resume (checked bit-exact), then fine-tune to 2 new classes with and without rehearsal.",
        discussion: """
        Leaves everything for you to look at: the data, the YAML configs, the run directories with
        checkpoints, logs/metrics.csv, logs/metrics.jsonl and TensorBoard files (tb/).
        Examples:
          cairn demo
          cairn demo shapes --dir /tmp/demo --per-class 100 --epochs 3
        """)

    @Option(help: "Directory for the data, configs and runs (replaced if it holds an earlier demo).") var dir = "runs/demo"
    @Option(help: "Training images per class (validation gets a quarter as many).") var perClass = 200
    @Option(help: "Epochs of the base run.") var epochs = 6
    @Option(help: "Epochs of each fine-tuning run.") var finetuneEpochs = 5
    @Option(help: "Seed of the data and the runs.") var seed: UInt64 = 42

    func validate() throws {
        guard perClass >= 8, epochs >= 2, finetuneEpochs >= 1 else {
            throw ValidationError("--per-class must be >= 8, --epochs >= 2 and --finetune-epochs >= 1")
        }
    }

    static let oldClasses = ["circle", "square", "triangle"]
    static let newClasses = ["cross", "star"]
    static let marker = ".cairn-demo"

    /// The shapes CNN of examples/shapes.yaml (layer 9 is the head).
    static let model = """
    model:
      input: [1, 28, 28]
      layers:
        - conv2d: {out: 8, kernel: 3, padding: 1}
        - batchnorm2d
        - relu
        - maxpool2d: 2
        - conv2d: {out: 16, kernel: 3, padding: 1}
        - relu
        - maxpool2d: 2
        - flatten
        - dropout: 0.1
        - linear: {out: 3}
    """

    func baseConfig(_ root: URL) -> String {
        """
        # The demo's base run: 3 classes. Train it yourself with: cairn train \(root.path)/base.yaml
        seed: \(seed)
        \(Self.model)
        data:
          train: {image_folder: \(root.path)/data/train, augment: {random_crop: {padding: 2}}}
          val: {image_folder: \(root.path)/data/val}
          batch_size: 32
          shuffle: true
        optimizer: {name: adam, lr: 0.002}
        scheduler: {name: cosine}
        training: {epochs: \(epochs), log_every_n_steps: 1}
        checkpoint: {every_n_steps: 10, keep_last: 3, keep_best: {monitor: val_accuracy, mode: max, k: 1}}
        """
    }

    func finetuneConfig(_ root: URL, rehearsal: Bool) -> String {
        """
        # Fine-tune the base run to 5 classes: new head (old rows kept), first conv block frozen, 4x lower
        # LR for the other pretrained layers\(rehearsal ? ", half of every batch old images." : ", new images only.")
        seed: \(seed + 1)
        \(Self.model)
        data:
          train: {image_folder: \(root.path)/data/new}
          val: {image_folder: \(root.path)/data/val}
          batch_size: 32
        optimizer: {name: adam, lr: 0.001}
        training: {epochs: \(finetuneEpochs), log_every_n_steps: 1}
        checkpoint: {every_n_epochs: 1, keep_last: 2}
        finetune:
          from: \(root.path)/base/checkpoints/latest
          freeze: ["0.*", "1.*"]
          freeze_batchnorm_stats: true
          head: {layer: 9, classes: 5, keep_old_rows: true}
          lr: {backbone: 0.0005, head: 0.002}
          optimizer_state: reset
        \(rehearsal ? "  rehearsal: {data: {image_folder: \(root.path)/data/train}, ratio: 0.5}" : "")
        """
    }

    func run() throws {
        let started = Date()
        let fm = FileManager.default
        let root = URL(fileURLWithPath: dir).standardizedFileURL
        if fm.fileExists(atPath: root.path) {
            let contents = try fm.contentsOfDirectory(atPath: root.path)
            guard contents.isEmpty || contents.contains(Self.marker) else {
                throw CLIError.usage("\(root.path) exists and was not made by `cairn demo`; choose another --dir")
            }
            try fm.removeItem(at: root)
        }
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        fm.createFile(atPath: root.appendingPathComponent(Self.marker).path, contents: nil)

        // 1. Data.
        let data = root.appendingPathComponent("data")
        try ShapesDataset.draw(to: data.appendingPathComponent("train"), classes: Self.oldClasses, perClass: perClass,
                               seed: seed)
        try ShapesDataset.draw(to: data.appendingPathComponent("val"), classes: Self.oldClasses, perClass: perClass / 4,
                               seed: seed, startIndex: perClass)
        print("1. drew \(3 * perClass) training and \(3 * (perClass / 4)) validation images of "
              + "\(Self.oldClasses.joined(separator: ", ")) into \(data.path)")

        // 2. Train in a child process and stop it with SIGTERM in the middle of an epoch.
        let baseYAML = root.appendingPathComponent("base.yaml")
        try Data(baseConfig(root).utf8).write(to: baseYAML)
        let base = root.appendingPathComponent("base"), log = root.appendingPathComponent("base.log")
        let perEpoch = (3 * perClass + 31) / 32
        let stopAt = perEpoch + perEpoch / 2
        let child = try ChildRun(["train", baseYAML.path, "--run-dir", base.path, "--quiet"], log: log)
        _ = child.wait { ChildRun.loggedStep(base) >= stopAt }
        child.send(SIGTERM)
        let status = child.wait()
        guard status == 0 else { throw CLIError.failed("`cairn train` exited with status \(status) after SIGTERM; see \(log.path)") }
        let saved = try FineTuner.resolve(base.path + "/checkpoints/latest")
        let state = try CheckpointStore.readTrainerState(saved)
        print("2. cairn train \(baseYAML.lastPathComponent): SIGTERM at step \(ChildRun.loggedStep(base)) "
              + "(epoch \(state.epoch), \(state.globalStep - state.epoch * perEpoch) of \(perEpoch) batches); it finished the step, "
              + "saved \(saved.lastPathComponent) and exited with status 0")

        // 3. Resume and finish; 4. compare with the same run done without interruption.
        let resume = try ChildRun(["resume", base.path, "--quiet"], log: log)
        guard resume.wait() == 0 else { throw CLIError.failed("`cairn resume` failed; see \(log.path)") }
        let finished = try CheckpointStore.readTrainerState(try FineTuner.resolve(base.path + "/checkpoints/latest"))
        print("3. cairn resume \(base.path): continued from step \(state.globalStep) to step \(finished.globalStep) "
              + String(format: "(val accuracy %.3f)", finished.metrics["val_accuracy"] ?? .nan))
        let straight = root.appendingPathComponent("base-uninterrupted")
        let config = try RunConfig.load(path: baseYAML.path)
        try RunLauncher.writeConfig(config, to: straight)
        try RunLauncher.makeTrainer(config: config, runDirectory: straight, progress: false).fit()
        let comparison = try RunComparison(straight, base)
        print("4. interrupted + resumed vs uninterrupted: " + comparison.summary)
        guard comparison.identical else { throw CLIError.failed("exact resume failed: " + comparison.summary) }

        // 5. Two new classes arrive; fine-tune with and without rehearsal.
        try ShapesDataset.draw(to: data.appendingPathComponent("new"), classes: Self.newClasses, perClass: perClass,
                               seed: seed)
        try ShapesDataset.draw(to: data.appendingPathComponent("val"), classes: Self.newClasses, perClass: perClass / 4,
                               seed: seed, startIndex: perClass)
        print("5. drew \(2 * perClass) images of the new classes \(Self.newClasses.joined(separator: ", ")) into "
              + "\(data.appendingPathComponent("new").path) (and \(2 * (perClass / 4)) into val); fine-tuning:")
        var rows: [(String, ForgettingMonitor)] = []
        for rehearsal in [false, true] {
            let name = rehearsal ? "finetune-rehearsal" : "finetune-new-only"
            let yaml = root.appendingPathComponent(name + ".yaml")
            try Data(finetuneConfig(root, rehearsal: rehearsal).utf8).write(to: yaml)
            let cfg = try RunConfig.load(path: yaml.path)
            let run = root.appendingPathComponent(name)
            try RunLauncher.writeConfig(cfg, to: run)
            let (trainer, tuner) = try FineTuner.makeTrainer(config: cfg, runDirectory: run, progress: false)
            guard let old = tuner.oldClassCount, let val = trainer.valData else {
                throw CLIError.failed("fine-tuning did not grow the head")
            }
            let monitor = ForgettingMonitor(oldClassCount: old, data: val)
            trainer.callbacks.append(monitor)
            try trainer.fit()
            rows.append((rehearsal ? "rehearsal (50% old)" : "new images only", monitor))
            print("   \(name): frozen \(tuner.frozen.count) tensors, head \(tuner.classMap?.names.joined(separator: ",") ?? "?")")
        }

        print("")
        print("variant               old-class acc before   old-class acc after   new-class acc   forgetting")
        for (name, m) in rows {
            let last = m.history.last?.metrics ?? [:]
            func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "  -  " }
            print(name.padding(toLength: 22, withPad: " ", startingAt: 0)
                  + f(m.oldAccuracyBefore).padding(toLength: 23, withPad: " ", startingAt: 0)
                  + f(last["val_old_accuracy"]).padding(toLength: 22, withPad: " ", startingAt: 0)
                  + f(last["val_new_accuracy"]).padding(toLength: 16, withPad: " ", startingAt: 0)
                  + f(last["forgetting"]))
        }
        print("")
        print(String(format: "done in %.0f s. Look at: %@/{base,finetune-*}/logs/metrics.csv, "
                     + "tensorboard --logdir %@, cairn inspect %@/base/checkpoints/latest",
                     Date().timeIntervalSince(started), root.path, root.path, root.path))
    }
}
