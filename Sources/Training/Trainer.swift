import Foundation
import TensorCore
import NN
import Optimizers
import Checkpoint
import Data

/// Runs a training loop with validation, logging, checkpointing and exact resume.
///
/// Determinism: every random number comes from one `RNGStreams(seed:)` owned by the trainer —
/// `shuffle` (the loader's per-epoch permutation, a pure function of seed and epoch), `augment` (the
/// loader's per-example augmentation) and `dropout` (all Dropout layers draw from it in call order).
/// A checkpoint holds the model, the optimizer, the scheduler, the streams, the loader position
/// (epoch, next batch), the counters, early-stopping state and how many metric records were
/// logged; restoring all of it makes `train N steps` and `train k; kill; resume; train to N` give
/// bit-identical weights, optimizer state and logs, for any k, mid-epoch included.
public final class Trainer {
    /// Where `fit` gets its starting state.
    public enum Resume: Sendable, Equatable {
        /// Start fresh (logs in the run directory are cut back to empty).
        case never
        /// Resume from the latest valid checkpoint of the run directory when there is one.
        case ifAvailable
        /// Resume from the latest valid checkpoint; throw `TrainerError.noCheckpoint` without one.
        case required
        /// Resume from this checkpoint directory.
        case from(URL)
    }

    /// The model trained.
    public let model: Module
    /// The optimizer.
    public let optimizer: Optimizer
    /// The learning-rate scheduler.
    public let scheduler: LRScheduler?
    /// Loss of (model output, labels), reduced to a scalar mean.
    public let lossFn: (Tensor, Tensor) -> Tensor
    /// Training examples.
    public let trainData: any Dataset
    /// Validation examples.
    public let valData: (any Dataset)?
    /// Settings.
    public let options: TrainerOptions
    /// Hooks called during `fit`.
    public var callbacks: [TrainerCallback] = []
    /// An extra loss term added to every step's loss (e.g. fine-tuning's L2-SP penalty); nil: none.
    public var regularizer: (() -> Tensor)?
    /// Entries written into every checkpoint's `TrainerState.extra` (e.g. `class_map`, `config`).
    public var extraState: [String: JSONValue] = [:]
    /// The run's random streams (the dropout stream advances as training runs).
    public private(set) var streams: RNGStreams
    /// Optimizer steps done.
    public private(set) var globalStep = 0
    /// Early-stopping state.
    public private(set) var earlyStopping: EarlyStopping?
    /// Metrics of the last validation.
    public private(set) var lastValidation: [String: Double] = [:]
    /// The checkpoint the last `fit` resumed from.
    public private(set) var resumedFrom: URL?
    /// Param-group options (e.g. `lr`, `weight_decay`) whose configured values replace the restored
    /// ones on resume, as when a PyTorch user assigns `param_group["lr"]` after `load_state_dict`
    /// (schedulers continue from the new value the same way).
    public var overriddenHyperparameters: [String] = []
    /// The `extra` entries of the checkpoint the last `fit` resumed from (empty when it started fresh),
    /// so callbacks can pick up state they put into `extraState`.
    public private(set) var restoredExtra: [String: JSONValue] = [:]
    /// What the last resume changed through `overriddenHyperparameters`, e.g. "lr 0.001 -> 0.0001".
    public private(set) var hyperparameterChanges: [String] = []
    /// The training batches.
    public let loader: DataLoader

    /// Parameters resolved once, for clipping and finiteness checks.
    private let params: [(String, Parameter)]
    private let hasDropout: Bool
    private var manager: CheckpointManager?
    private var logger: MetricsLogger?
    private var signals: SignalHandling?
    private var lastLoss: Float?
    private var lastCheckpoint: URL?
    private var skipped = 0
    /// True while the live state equals the last checkpoint written, so an end-of-run save is not repeated.
    private var stateSaved = false
    private var stopRequestedManually = false
    /// The training folder as of the current epoch, when `rescanEveryEpoch` lists it again each epoch.
    private var folder: ImageFolder?
    /// Classes the model was built for; a rescan leaves later class folders out.
    private var folderClasses = 0
    /// Rescan warnings already printed (each is printed once, not every epoch).
    private var warnedClasses = Set<String>()
    private var warnedMessages = Set<String>()
    private let rehearsalData: (any Dataset)?
    /// The overridden values of the last resume, for its log record.
    private var overrideRecord: [(String, Double)] = []

    /// A trainer; throws when the options are invalid or the loader cannot be built.
    public init(model: Module, optimizer: Optimizer, scheduler: LRScheduler? = nil,
                lossFn: @escaping (Tensor, Tensor) -> Tensor = { Loss.crossEntropy($0, $1) },
                trainData: any Dataset, valData: (any Dataset)? = nil, options: TrainerOptions,
                rehearsal: (data: any Dataset, ratio: Double)? = nil) throws {
        try options.validate()
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.lossFn = lossFn
        self.trainData = trainData
        self.valData = valData
        self.options = options
        self.streams = RNGStreams(seed: options.seed)
        self.earlyStopping = options.earlyStopping
        self.params = model.namedParameters()
        self.hasDropout = model.namedModules().contains { $0.1 is Dropout }
        self.rehearsalData = rehearsal?.data
        if options.rescanEveryEpoch {
            guard let f = trainData as? ImageFolder else {
                throw TrainerError.invalidOptions("rescan every epoch needs an image folder as training data, got \(type(of: trainData))")
            }
            folder = f
            folderClasses = f.classMap.count
        }
        // The loader's shuffle/augment generators derive from the same seed and stream names as
        // `streams["shuffle"]` / `streams["augment"]`, positioned by (epoch, index) instead of a counter.
        let loaderConfig = DataLoader.Config(
            batchSize: options.batchSize, shuffle: options.shuffle, dropLast: options.dropLast,
            prefetch: options.prefetch, workers: 1, seed: options.seed, augmentations: options.augmentations)
        if let rehearsal {
            loader = try DataLoader(new: trainData, old: rehearsal.data, rehearsalRatio: rehearsal.ratio, config: loaderConfig)
        } else {
            loader = try DataLoader(dataset: trainData, config: loaderConfig)
        }
    }

    /// Epochs completed (the 0-based index of the epoch in progress).
    public var epoch: Int { loader.position.epoch }

    /// The checkpoint directory (`<runDirectory>/checkpoints`).
    public var checkpointDirectory: URL? {
        options.runDirectory?.appendingPathComponent("checkpoints", isDirectory: true)
    }

    /// Appends a record to the run's metric logs (JSONL, CSV, TensorBoard) at the current step; a
    /// no-op without a run directory. Callbacks use it so their metrics survive resume like the rest.
    public func log(kind: String, epoch: Int? = nil, values: [(String, Double)]) throws {
        try logger?.log(kind: kind, step: globalStep, epoch: epoch ?? self.epoch, values: values)
    }

    /// Asks the loop to stop after the current step, as SIGINT does.
    public func requestStop() { stopRequestedManually = true }

    /// Trains until `maxSteps` / `epochs`, early stopping or a signal, resuming as `resume` says.
    @discardableResult
    public func fit(resume: Resume = .never) throws -> FitResult {
        var lock: RunLock?
        if let dir = options.runDirectory { lock = try RunLock(directory: dir) }
        defer { lock?.release() }
        if options.handleSignals { signals = SignalHandling() }
        defer { signals?.stop(); signals = nil }
        stopRequestedManually = false

        let keepRecords = try prepareCheckpoints(resume)
        if let dir = options.runDirectory { logger = try MetricsLogger(runDirectory: dir, keepRecords: keepRecords) }
        defer { logger = nil }
        if !overrideRecord.isEmpty {
            // The run log says what the resume changed (the checkpoint's values were replaced).
            try logger?.log(kind: "override", step: globalStep, epoch: epoch, values: overrideRecord)
        }

        var progress: ProgressReporter?
        if options.progress {
            let perEpoch = loader.batchesPerEpoch
            let total = [options.maxSteps, options.epochs.map { $0 * perEpoch }].compactMap { $0 }.min()
            progress = ProgressReporter(total: total, every: options.progressEvery)
            progress?.start(at: globalStep)
            if !hyperparameterChanges.isEmpty {
                progress?.message("resume: " + hyperparameterChanges.joined(separator: ", ") + " (overriding the checkpoint)")
            }
        }

        model.train()
        for c in callbacks { c.onTrainStart(self) }
        var reason: FitResult.StopReason?
        while reason == nil {
            if let m = options.maxSteps, globalStep >= m { reason = .maxSteps; break }
            if let e = options.epochs, epoch >= e { reason = .epochs; break }
            guard let batch = try loader.next() else {
                if try endEpoch(progress) { reason = .earlyStopping }
                continue
            }
            let metrics = try trainStep(batch)
            progress?.update(step: globalStep, epoch: batch.epoch, loss: metrics.loss)
            for c in callbacks { c.onStepEnd(self, metrics: metrics) }
            try saveIfDue()
            if stopRequestedManually || signals?.stopRequested == true { reason = .interrupted }
        }
        if options.checkpoint.saveOnEnd && !stateSaved { try save(force: true) }
        try manager?.finish()
        let result = FitResult(stopReason: reason!, globalStep: globalStep, epochsCompleted: epoch, lastLoss: lastLoss,
                               lastValidation: lastValidation, resumedFrom: resumedFrom, lastCheckpoint: lastCheckpoint,
                               skippedSteps: skipped)
        for c in callbacks { c.onTrainEnd(self, result: result) }
        return result
    }

    /// Resumes from the checkpoint directory `url` and trains to the configured end.
    @discardableResult
    public func fit(resumeFrom url: URL) throws -> FitResult { try fit(resume: .from(url)) }

    /// Mean loss, accuracy and per-class accuracy of the model on `data` (evaluation mode, no grad).
    public func evaluate(data: any Dataset) throws -> EvaluationResult {
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        let evalLoader = try DataLoader(dataset: data, config: DataLoader.Config(
            batchSize: options.batchSize, shuffle: false, dropLast: false, prefetch: 0))
        var lossSum = 0.0, n = 0, correct = 0
        var classTotal: [Int: Int] = [:], classCorrect: [Int: Int] = [:]
        var classify = true
        try GradMode.noGrad {
            while let b = try evalLoader.next() {
                let out = model(b.inputs)
                try checkLabels(b, out, data: data)
                lossSum += Double(lossFn(out, b.labels).item) * Double(b.count)
                n += b.count
                guard classify, out.rank == 2, out.shape[0] == b.count else { classify = false; continue }
                let predicted = out.argmax(axis: 1).toInt64Array()
                for (p, y) in zip(predicted, b.labelValues) {
                    classTotal[y, default: 0] += 1
                    if Int(p) == y { correct += 1; classCorrect[y, default: 0] += 1 }
                }
            }
        }
        var perClass: [Int: Double] = [:]
        if classify { for (k, t) in classTotal { perClass[k] = Double(classCorrect[k] ?? 0) / Double(t) } }
        return EvaluationResult(loss: n > 0 ? lossSum / Double(n) : .nan,
                                accuracy: classify && n > 0 ? Double(correct) / Double(n) : nil,
                                perClass: perClass, count: n)
    }

    // MARK: - Steps

    /// One forward/backward/update on `batch`; applies the NaN policy.
    private func trainStep(_ batch: Batch) throws -> StepMetrics {
        optimizer.zeroGrad()
        let output: Tensor
        if hasDropout {
            output = model.withDropoutGenerator(&streams[RNGStreams.dropout]) { model(batch.inputs) }
        } else {
            output = model(batch.inputs)
        }
        try checkLabels(batch, output)
        var loss = lossFn(output, batch.labels)
        if let regularizer { loss = loss + regularizer() }
        let value = loss.item
        let lr = optimizer.paramGroups.first?.lr ?? 0
        var gradNorm: Float?
        var skip = false
        if !value.isFinite {
            guard options.nanPolicy == .skip else {
                throw TrainerError.nonFiniteLoss(step: globalStep + 1, epoch: batch.epoch, value: value)
            }
            skip = true
        } else {
            loss.backward()
            if let maxNorm = options.gradClipNorm {
                let norm = clipGradNorm(params.map(\.1), maxNorm: maxNorm)
                gradNorm = norm
                if !norm.isFinite {
                    guard options.nanPolicy == .skip else {
                        throw TrainerError.nonFiniteGradient(step: globalStep + 1, epoch: batch.epoch, norm: norm)
                    }
                    skip = true
                }
            }
        }
        if skip {
            optimizer.zeroGrad()
            skipped += 1
        } else {
            optimizer.step()
            lastLoss = value
        }
        if options.schedulerInterval == .step { scheduler?.step() }
        globalStep += 1
        stateSaved = false
        if globalStep % options.logEvery == 0 {
            var values: [(String, Double)] = [("loss", Double(value)), ("lr", lr)]
            if let gradNorm { values.append(("grad_norm", Double(gradNorm))) }
            if skip { values.append(("skipped", 1)) }
            try logger?.log(kind: "train", step: globalStep, epoch: batch.epoch, values: values)
        }
        return StepMetrics(globalStep: globalStep, epoch: batch.epoch, batchIndex: batch.batchIndex, loss: value,
                           lr: lr, gradNorm: gradNorm, skipped: skip)
    }

    /// Throws instead of letting a class index beyond the model's outputs reach the loss (where it
    /// is a programming error): the data gained classes the model has no outputs for.
    private func checkLabels(_ batch: Batch, _ output: Tensor, data: (any Dataset)? = nil) throws {
        guard output.rank == 2, batch.labels.dtype == .int64 else { return }
        let classes = output.shape[1]
        guard let bad = batch.labelValues.first(where: { $0 >= classes }) else { return }
        let folder = (data ?? loader.sources.first) as? ImageFolder
        let name = folder.flatMap { bad < $0.classMap.count ? $0.classMap.name(at: bad) : nil }
        throw TrainerError.labelOutOfRange(label: bad, className: name, outputs: classes,
                                           data: folder?.root.path ?? "the \(data == nil ? "training" : "validation") data")
    }

    /// Validation, scheduler, early stopping and the epoch checkpoint after an epoch's last batch
    /// (the loader has already moved to the next epoch); returns true when early stopping fires.
    private func endEpoch(_ progress: ProgressReporter?) throws -> Bool {
        stateSaved = false
        let completed = epoch
        var metrics: [String: Double] = [:]
        var validated = false
        if let valData, completed % options.validateEvery == 0 {
            let result = try evaluate(data: valData)
            metrics = result.metrics()
            lastValidation = metrics
            validated = true
            try logger?.log(kind: "val", step: globalStep, epoch: completed,
                        values: metrics.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            for c in callbacks { c.onValidationEnd(self, result: result) }
            progress?.message("epoch \(completed): " + metrics.sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: " "))
        }
        if options.schedulerInterval == .epoch, let scheduler {
            if let v = metrics["val_loss"] { scheduler.step(metric: v) } else { scheduler.step() }
        }
        try rescanFolder(progress)
        var stop = false
        if validated, earlyStopping != nil { stop = earlyStopping!.update(metrics) }
        for c in callbacks { c.onEpochEnd(self, epoch: completed, metrics: metrics) }
        // With a keep-best rule the validated state must reach a checkpoint so it can rank.
        try save(force: validated && options.checkpoint.keepBest != nil, metrics: metrics)
        return stop
    }

    /// Lists the training folder again before the next epoch (`rescanEveryEpoch`); the new listing is
    /// in the next checkpoint, so a mid-epoch resume sees exactly the files that epoch started with.
    private func rescanFolder(_ progress: ProgressReporter?) throws {
        guard var f = folder else { return }
        let report = try f.rescan()
        let ignored = f.restrict(classCount: folderClasses)
        for w in report.warnings where warnedMessages.insert(w.message).inserted { Trainer.warn(w.message) }
        if !ignored.isEmpty, !warnedClasses.isSuperset(of: ignored) {
            warnedClasses.formUnion(ignored)
            Trainer.warn("rescan: class folder(s) \(ignored.joined(separator: ", ")) left out: the model has "
                         + "\(folderClasses) classes; fine-tune with a bigger head (cairn finetune) to learn them")
        }
        guard f.fingerprint != folder?.fingerprint else { return }
        folder = f
        if let old = rehearsalData { try loader.replaceDatasets(new: f, old: old) } else { try loader.replaceDataset(f) }
        let added = report.addedImages.filter { f.classMap.index(of: String($0.prefix { $0 != "/" })) != nil }
        progress?.message("rescan \(f.root.path): \(added.count) image(s) added, \(report.removedImages.count) removed, "
                          + "\(f.count) in the next epoch")
    }

    /// Writes a warning line to standard error.
    static func warn(_ text: String) {
        FileHandle.standardError.write(Foundation.Data(("warning: " + text + "\n").utf8))
    }

    /// Writes a checkpoint warning (a skipped corrupt checkpoint, a failed delete) to standard error.
    static func warn(_ warning: CheckpointWarning) {
        FileHandle.standardError.write(Foundation.Data(("\(warning)\n").utf8))
    }

    // MARK: - Checkpoints

    /// Opens the checkpoint manager and applies `resume`; returns how many log records to keep.
    private func prepareCheckpoints(_ resume: Resume) throws -> Int? {
        resumedFrom = nil
        restoredExtra = [:]
        guard let dir = checkpointDirectory else {
            if case .from(let url) = resume { _ = try restore(from: url) }
            return 0
        }
        let c = options.checkpoint
        let schedule = SaveSchedule(everyNSteps: c.everyNSteps, everyNEpochs: c.everyNEpochs, everyNSeconds: c.everyNSeconds)
        let retention = RetentionPolicy(keepLast: c.keepLast, keepBest: c.keepBest)
        let manager = try CheckpointManager(directory: dir, schedule: schedule, retention: retention,
                                            template: c.filename, async: c.asynchronous)
        self.manager = manager
        var url: URL?
        switch resume {
        case .never: break
        case .ifAvailable, .required:
            let found = try manager.latest()
            for w in found.warnings { Trainer.warn(w) }
            url = found.checkpoint?.url
            if url == nil, resume == .required { throw TrainerError.noCheckpoint(directory: dir.path) }
        case .from(let u): url = u
        }
        guard let url else { return 0 }
        // `latest()` has just verified every hash, and the locked run directory cannot change under us.
        let records = try restore(from: url, verified: resume != .from(url))
        if url.standardizedFileURL.deletingLastPathComponent().path == manager.directory.path {
            try manager.markResumed(from: url)
        }
        stateSaved = true
        return records
    }

    /// Restores everything from the checkpoint at `url` (hashes checked unless `verified` already);
    /// returns the saved log record count.
    private func restore(from url: URL, verified: Bool = false) throws -> Int? {
        let ckpt = try CheckpointStore.load(from: url, verify: !verified)
        let ts = ckpt.trainerState
        if ckpt.optimizer == nil, ts.loader == nil {
            throw TrainerError.weightsOnlyCheckpoint(path: url.path)
        }
        guard let loaderJSON = ts.loader else { throw TrainerError.badState(key: "loader", reason: "missing") }
        let position: LoaderPosition
        do { position = try loaderJSON.decode(LoaderPosition.self) } catch {
            throw TrainerError.badState(key: "loader", reason: "\(error)")
        }
        let configured = optimizer.paramGroups.map(\.options)
        if let saved = try? ts.extra["class_map"]?.decode(ClassMap.self),
           let current = (folder ?? trainData as? ImageFolder)?.classMap,
           Array(current.names.prefix(saved.count)) != Array(saved.names.prefix(current.count)) {
            throw TrainerError.badState(key: "extra.class_map", reason: "the training folder numbers its classes "
                + "\(current.names) but the checkpoint was trained with \(saved.names); open the folder with the "
                + "checkpoint's class map (ImageFolder(root:config:classMap:), as cairn resume does)")
        }
        let report = try ckpt.restore(into: model, optimizer: optimizer, schedulers: scheduler.map { [$0] } ?? [])
        applyOverrides(configured)
        if let rng = report.rng {
            guard rng.seed == options.seed else {
                throw TrainerError.badState(key: "rng", reason: "saved seed \(rng.seed) differs from the configured seed \(options.seed)")
            }
            streams = rng
        }
        if var f = folder, let classes = ts.extra["train_classes"]?.intValue {
            // The model's classes, not today's folders; mid-epoch, the epoch's permutation covers the
            // files it started with, not today's listing.
            folderClasses = classes
            let files = position.batchIndex > 0 ? ts.extra["train_files"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) } : nil
            let ignored = f.restrict(classCount: classes, files: files)
            if !ignored.isEmpty {
                warnedClasses.formUnion(ignored)
                Trainer.warn("class folder(s) \(ignored.joined(separator: ", ")) left out: the model has \(classes) classes; "
                             + "fine-tune with a bigger head (cairn finetune) to learn them")
            }
            if f.fingerprint != folder?.fingerprint {
                folder = f
                if let old = rehearsalData { try loader.replaceDatasets(new: f, old: old) } else { try loader.replaceDataset(f) }
            }
        }
        try loader.restore(position)
        globalStep = ts.globalStep
        lastLoss = ts.metrics["loss"].map(Float.init)
        if let es = ts.extra["early_stopping"] {
            do { earlyStopping = try es.decode(EarlyStopping.self) } catch {
                throw TrainerError.badState(key: "extra.early_stopping", reason: "\(error)")
            }
        }
        if let v = ts.extra["last_validation"] {
            do { lastValidation = try v.decode([String: Double].self) } catch {
                throw TrainerError.badState(key: "extra.last_validation", reason: "\(error)")
            }
        }
        skipped = ts.extra["skipped_steps"]?.intValue ?? 0
        restoredExtra = ts.extra
        resumedFrom = url
        return ts.extra["metrics_records"]?.intValue
    }

    /// Puts the configured values of `overriddenHyperparameters` back over the restored ones.
    private func applyOverrides(_ configured: [HyperDict]) {
        hyperparameterChanges = []
        overrideRecord = []
        for key in overriddenHyperparameters {
            for gi in optimizer.paramGroups.indices where gi < configured.count {
                guard let new = configured[gi][key], let old = optimizer.paramGroups[gi].options[key], old != new else { continue }
                optimizer.paramGroups[gi].options[key] = new
                let group = optimizer.paramGroups.count > 1 ? " (group \(gi))" : ""
                hyperparameterChanges.append("\(key) \(old) -> \(new)\(group)")
                if let v = new.doubleValue {
                    overrideRecord.append((optimizer.paramGroups.count > 1 ? "\(key)_group\(gi)" : key, v))
                }
            }
        }
    }

    /// Saves when the step schedule says so.
    private func saveIfDue() throws {
        guard let manager else { return }
        if manager.schedule.shouldSave(step: globalStep, epoch: epoch, now: Date(), metrics: [:]) != nil {
            try save(force: false)
        }
    }

    /// Captures the whole run and hands it to the manager (which applies the schedule unless `force`).
    private func save(force: Bool, metrics extraMetrics: [String: Double] = [:]) throws {
        guard let manager else { return }
        for (name, p) in params where !p.value.toArray().allSatisfy(\.isFinite) {
            throw TrainerError.nonFiniteParameters(step: globalStep, name: name)
        }
        var metrics = extraMetrics
        if let lastLoss, lastLoss.isFinite { metrics["loss"] = Double(lastLoss) }
        metrics = metrics.filter { $0.value.isFinite }
        var extra: [String: JSONValue] = extraState
        extra.merge([
            "metrics_records": .int(Int64(logger?.recordCount ?? 0)),
            "skipped_steps": .int(Int64(skipped)),
            "last_validation": try JSONValue(encoding: lastValidation.filter { $0.value.isFinite }),
        ]) { $1 }
        if let earlyStopping { extra["early_stopping"] = try JSONValue(encoding: earlyStopping) }
        if let folder {
            extra["train_files"] = .array(folder.entries.map { .string($0.relativePath) })
            extra["train_classes"] = .int(Int64(folderClasses))
        }
        let ckpt: Checkpoint
        if options.checkpoint.weightsOnly {
            // Only what inference and fine-tuning read: weights, counters, metrics, class map and config.
            ckpt = Checkpoint.capture(model: model, epoch: epoch, globalStep: globalStep, metrics: metrics,
                                      extra: extraState)
        } else {
            ckpt = Checkpoint.capture(model: model, optimizer: optimizer, schedulers: scheduler.map { [$0] } ?? [],
                                      rng: streams, epoch: epoch, globalStep: globalStep, metrics: metrics,
                                      loader: try JSONValue(encoding: loader.position), extra: extra)
        }
        if let url = try manager.save(ckpt, force: force) {
            lastCheckpoint = url
            stateSaved = true
        }
        for w in manager.takeWarnings() { Trainer.warn(w) }
    }
}
