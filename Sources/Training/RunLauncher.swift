import Foundation
import Checkpoint
import Data
import NN
import Optimizers
import TensorCore

/// Turns a `RunConfig` into a ready `Trainer` on a run directory (what `cairn train` and `resume` run).
public enum RunLauncher {
    /// The run directory's copy of the effective config (overrides applied).
    public static let configFileName = "config.yaml"

    /// Builds model, optimizer, scheduler, datasets and trainer for `config` in `runDirectory`;
    /// image folders are numbered through `classMap` when given (a resumed run passes its checkpoint's,
    /// so a class folder added since cannot renumber the others).
    public static func makeTrainer(config: RunConfig, runDirectory: URL, progress: Bool = true,
                                   classMap: ClassMap? = nil) throws -> Trainer {
        var streams = RNGStreams(seed: config.seed)
        let model = try streams.withStream(RNGStreams.initStream) { try config.modelSpec.build(rng: &$0) }
        let optimizer = config.optimizer.makeOptimizer(model.namedParameters())
        let train = try dataset(config.data.train, classMap: classMap)
        let val = try config.data.val.map { try dataset($0, classMap: classMap) }
        let batches = max(1, config.data.dropLast ? train.count / config.data.batchSize
                                                  : (train.count + config.data.batchSize - 1) / config.data.batchSize)
        let scheduler = config.scheduler.map {
            $0.makeScheduler(optimizer: optimizer, totalIntervals: config.schedulerIntervals(stepsPerEpoch: batches))
        }
        let opts = Self.options(config: config, runDirectory: runDirectory, progress: progress)
        let smoothing = Float(config.training.labelSmoothing)
        let trainer = try Trainer(model: model, optimizer: optimizer, scheduler: scheduler,
                                  lossFn: { Loss.crossEntropy($0, $1, labelSmoothing: smoothing) },
                                  trainData: train, valData: val, options: opts)
        trainer.extraState = try extraState(config: config, classMap: classMap ?? (train as? ImageFolder)?.classMap)
        return trainer
    }

    /// The checkpoint `extra` entries of a run: its `config` and, when known, its `class_map`.
    public static func extraState(config: RunConfig, classMap: ClassMap?) throws -> [String: JSONValue] {
        var extra: [String: JSONValue] = ["config": try JSONValue(encoding: config)]
        if let classMap { extra["class_map"] = try JSONValue(encoding: classMap) }
        return extra
    }

    /// The scheduler `config` asks for over `optimizer`, for a training set of `trainCount` examples.
    static func scheduler(config: RunConfig, optimizer: Optimizer, trainCount: Int) -> LRScheduler? {
        let batches = max(1, config.data.dropLast ? trainCount / config.data.batchSize
                                                  : (trainCount + config.data.batchSize - 1) / config.data.batchSize)
        return config.scheduler.map {
            $0.makeScheduler(optimizer: optimizer, totalIntervals: config.schedulerIntervals(stepsPerEpoch: batches))
        }
    }

    /// The trainer options `config` describes.
    public static func options(config: RunConfig, runDirectory: URL?, progress: Bool) -> TrainerOptions {
        let t = config.training, c = config.checkpoint
        var clipNorm: Double?
        if case let .norm(n, _)? = t.gradClip { clipNorm = n }
        let keepBest = c.keepBest.map {
            RetentionPolicy.KeepBest(MetricMonitor($0.monitor, mode: $0.mode == .min ? .min : .max), count: $0.k)
        }
        let early = t.earlyStopping.map {
            EarlyStopping(monitor: MetricMonitor($0.monitor, mode: $0.mode == .min ? .min : .max),
                          patience: $0.patience, minDelta: $0.minDelta)
        }
        var augment: [Augmentation] = [], rescan = false
        if case let .imageFolder(s) = config.data.train {
            augment = s.augmentations
            rescan = s.rescan == .everyEpoch
        }
        return TrainerOptions(
            batchSize: config.data.batchSize, shuffle: config.data.shuffle, dropLast: config.data.dropLast,
            seed: config.seed, maxSteps: t.maxSteps, epochs: t.epochs, gradClipNorm: clipNorm,
            nanPolicy: t.nanPolicy == .skip ? .skip : .stop, logEvery: t.logEveryNSteps,
            validateEvery: t.validateEveryNEpochs,
            schedulerInterval: config.scheduler?.interval == .step ? .step : .epoch, earlyStopping: early,
            checkpoint: .init(everyNSteps: c.everyNSteps,
                              everyNEpochs: c.everyNEpochs ?? (c.everyNSteps == nil && c.everyNSeconds == nil ? 1 : nil),
                              keepLast: c.keepLast, keepBest: keepBest, everyNSeconds: c.everyNSeconds,
                              // `RunConfig` validation has already rejected a template that does not parse.
                              filename: (try? c.filenameTemplate()) ?? .default,
                              weightsOnly: c.weightsOnly, asynchronous: c.asynchronous),
            runDirectory: runDirectory, prefetch: config.data.prefetch, augmentations: augment,
            progress: progress, rescanEveryEpoch: rescan)
    }

    /// The optimizer options that `--set` overrides name (`optimizer.lr=…` → `lr`), which a resumed
    /// run takes from the config instead of the checkpoint.
    public static func overriddenHyperparameters(_ overrides: [String]) -> [String] {
        overrides.compactMap { o -> String? in
            let key = o.prefix { $0 != "=" }.trimmingCharacters(in: .whitespaces)
            guard key.hasPrefix("optimizer."), key != "optimizer.name" else { return nil }
            return String(key.dropFirst("optimizer.".count))
        }
    }

    /// Writes the effective config into the run directory (creating it).
    public static func writeConfig(_ config: RunConfig, to runDirectory: URL) throws {
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        try Data(config.yaml().utf8).write(to: runDirectory.appendingPathComponent(configFileName), options: .atomic)
    }

    /// Reads the effective config a run directory was started with, plus `overrides`.
    public static func readConfig(from runDirectory: URL, overrides: [String] = []) throws -> RunConfig {
        try RunConfig.load(path: runDirectory.appendingPathComponent(configFileName).path, overrides: overrides)
    }

    /// The class map of the newest valid checkpoint of a run directory, if it has one.
    public static func savedClassMap(runDirectory: URL) throws -> ClassMap? {
        let dir = runDirectory.appendingPathComponent("checkpoints", isDirectory: true)
        guard FileManager.default.fileExists(atPath: dir.path),
              let latest = try LatestCheckpoint.find(in: dir, backend: DirectoryStoreBackend()).checkpoint else { return nil }
        return try FineTuner.classMap(in: CheckpointStore.readTrainerState(latest.url))
    }

    /// A dataset for one configured source; image folders are numbered through `classMap` when given.
    static func dataset(_ source: DataSourceConfig, classMap: ClassMap? = nil) throws -> any Dataset {
        switch source {
        case let .imageFolder(s):
            return try ImageFolder(root: URL(fileURLWithPath: s.path), config: s.imageFolderConfig, classMap: classMap)
        case let .csv(s):
            return try CSVDataset(path: s.path, labelColumn: s.csvLabelColumn, hasHeader: s.header,
                                  delimiter: s.delimiter.first ?? ",")
        }
    }
}
