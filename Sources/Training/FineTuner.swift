import Foundation
import Checkpoint
import Data
import NN
import Optimizers
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Prepares a fine-tuning run from a `RunConfig` with a `finetune` section: loads the starting
/// checkpoint under the configured `LoadPolicy`, replaces the head (old rows kept), freezes
/// parameters, builds per-group learning rates, carries or resets optimizer state and sets up
/// L2-SP and rehearsal.
public struct FineTuner {
    /// The model to train (head already replaced, weights loaded, frozen parameters marked).
    public let model: Sequential
    /// The optimizer over the trainable parameters.
    public let optimizer: Optimizer
    /// What loading the starting weights did.
    public let loadReport: LoadReport
    /// Carried/fresh/dropped optimizer state; nil when the state was reset.
    public let optimizerReport: StateLoadReport?
    /// The checkpoint actually read (`latest` resolved).
    public let source: URL
    /// The grown class map (old classes keep their indices); nil when neither checkpoint nor data names classes.
    public let classMap: ClassMap?
    /// Classes the source head had (rows kept); nil without a head replacement.
    public let oldClassCount: Int?
    /// Names of frozen parameters.
    public let frozen: [String]
    /// Starting weights of non-head trainable parameters, for L2-SP.
    public let startWeights: [(String, Parameter, Tensor)]
    /// The L2-SP weight.
    public let l2sp: Double

    /// What a starting checkpoint holds.
    public struct Source {
        /// The model tensors (keys as stored).
        public var stateDict: StateDict
        /// Optimizer state by parameter name (Cairn checkpoint directories only).
        public var optimizerState: [String: OptimizerState]?
        /// The class map stored with the checkpoint.
        public var classMap: ClassMap?
        /// The file or directory read.
        public var url: URL
    }

    /// Resolves `path`: a directory, `…/latest` (the newest valid checkpoint beside it), a `.pth` or a `.safetensors`.
    public static func resolve(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        if url.lastPathComponent == "latest" && !FileManager.default.fileExists(atPath: url.path) {
            let parent = url.deletingLastPathComponent()
            let found = try LatestCheckpoint.find(in: parent, backend: DirectoryStoreBackend())
            for w in found.warnings { Trainer.warn(w) }
            guard let entry = found.checkpoint else {
                throw TrainerError.noCheckpoint(directory: parent.path)
            }
            return entry.url
        }
        return url
    }

    /// Reads the model tensors, optimizer state and class map of a starting checkpoint.
    public static func readSource(_ path: String) throws -> Source {
        let url = try resolve(path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw CheckpointError.inconsistent(file: url.path, key: "finetune.from", reason: "no such file or directory")
        }
        if isDir.boolValue {
            let ckpt = try CheckpointStore.load(from: url)
            return Source(stateDict: ckpt.model, optimizerState: ckpt.optimizer?.state,
                          classMap: try classMap(in: ckpt.trainerState), url: url)
        }
        if url.pathExtension.lowercased() == "safetensors" {
            let file = try SafetensorsFile(contentsOf: url)
            var sd = StateDict()
            for name in file.names { sd[name] = try file.tensor(name) }
            let map = try file.metadata?[classMapMetadataKey].map {
                try JSONDecoder().decode(ClassMap.self, from: Foundation.Data($0.utf8))
            }
            return Source(stateDict: sd, optimizerState: nil, classMap: map, url: url)
        }
        let value = try TorchFile.read(contentsOf: url)
        let model = try TorchCheckpointLayout.modelStateDict(in: value, file: url.path).stateDict
        // A PyTorch optimizer.state_dict() is index-keyed; names come from its param_names or the model's order.
        var optimizerState: [String: OptimizerState]?
        if let o = TorchCheckpointLayout.optimizerStateValue(in: value) {
            let dict = try TorchCheckpointLayout.optimizerStateDict(from: o, file: url.path)
            optimizerState = try OptimizerConversion.snapshot(dict, modelKeys: model.keys).state
        }
        return Source(stateDict: model, optimizerState: optimizerState, classMap: nil, url: url)
    }

    /// Metadata key of an exported model file's class map (`{"classes": [...]}`).
    public static let classMapMetadataKey = "cairn.class_map"

    /// The class map stored in a checkpoint's `extra["class_map"]`, if any.
    public static func classMap(in state: TrainerState) throws -> ClassMap? {
        guard let v = state.extra["class_map"] else { return nil }
        do { return try v.decode(ClassMap.self) } catch {
            throw TrainerError.badState(key: "extra.class_map", reason: "\(error)")
        }
    }

    /// True when `name` matches the shell glob `pattern`.
    static func glob(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, 0) == 0 }

    /// Loads, replaces the head, freezes and builds the optimizer for `config` (which must have `finetune`).
    public init(config: RunConfig, trainClasses: [String]? = nil) throws {
        guard let ft = config.finetune else {
            throw TrainerError.badState(key: "finetune", reason: "the config has no finetune section")
        }
        let src = try FineTuner.readSource(ft.from)
        source = src.url
        var streams = RNGStreams(seed: config.seed)
        let model = try streams.withStream(RNGStreams.initStream) { try config.modelSpec.build(rng: &$0) }
        self.model = model

        // Map checkpoint keys to model keys first, so the head can be found under its model name.
        var remap: [LoadPolicy.KeyRemap] = []
        if let p = ft.stripPrefix { remap.append(.stripPrefix(p)) }
        if let p = ft.addPrefix { remap.append(.addPrefix(p)) }
        if !ft.rename.isEmpty { remap.append(.rename(ft.rename)) }
        let mapper = LoadPolicy(remap: remap)
        var sd = StateDict()
        for (k, t) in src.stateDict.pairs { sd[try mapper.mapKey(k)] = t }

        let headIndex = ft.head != nil ? config.headLayer : nil
        var oldCount: Int?
        if let h = headIndex, let head = model[h] as? Linear {
            let modelHead = Dictionary(uniqueKeysWithValues: head.namedParameters().map { ("\(h).\($0.0)", $0.1.value) })
            for (key, fresh) in modelHead {
                guard let old = sd[key] else { continue }
                precondition(old.rank == fresh.rank, "FineTuner: head tensor '\(key)' has rank \(old.rank), model \(fresh.rank)")
                let rows = old.shape[0]
                oldCount = rows
                var merged = fresh.toArray()
                if ft.head!.keepOldRows {
                    let oldValues = old.dtype == .float32 ? old.toArray() : old.to(.float32).toArray()
                    let rowSize = fresh.shape.dropFirst().reduce(1, *)
                    let keep = min(rows, fresh.shape[0])
                    guard old.shape.dropFirst().elementsEqual(fresh.shape.dropFirst()) else {
                        throw LoadError.violations(["head '\(key)': checkpoint shape \(old.shape) cannot seed \(fresh.shape)"],
                                                   report: LoadReport())
                    }
                    for i in 0..<(keep * rowSize) { merged[i] = oldValues[i] }
                }
                sd[key] = Tensor(merged, shape: fresh.shape)
            }
        }
        let policy = LoadPolicy(verify: ft.strict ? .all : .none,
                                onShapeMismatch: LoadPolicy.ShapeMismatchAction(rawValue: ft.onShapeMismatch.rawValue) ?? .error,
                                select: ft.select, reinitSeed: config.seed)
        loadReport = try sd.load(into: model, policy: policy)
        oldClassCount = oldCount

        // Class map: old classes keep their indices, new folder classes are appended.
        var map = src.classMap
        if let names = trainClasses {
            if map == nil { map = ClassMap(sorting: names) } else { _ = map!.add(names) }
        }
        if let map, let classes = ft.head?.classes, map.count > classes {
            throw TrainerError.badState(key: "finetune.head.classes",
                                        reason: "the class map has \(map.count) classes (\(map.names)) but the head has \(classes)")
        }
        classMap = map

        // Freeze.
        let named = model.namedParameters()
        var frozen: [String] = []
        for (name, p) in named where ft.freeze.contains(where: { FineTuner.glob($0, name) }) {
            p.requiresGrad = false
            frozen.append(name)
        }
        self.frozen = frozen
        // A pattern that freezes nothing is almost always a typo; training everything silently would hide it.
        for pattern in ft.freeze where !named.contains(where: { FineTuner.glob(pattern, $0.0) }) {
            throw TrainerError.badState(key: "finetune.freeze", reason: "pattern '\(pattern)' matches no parameter; the "
                + "names are \(named.prefix(4).map(\.0).joined(separator: ", "))\(named.count > 4 ? ", …" : "") (cairn inspect lists them)")
        }
        if ft.freezeBatchnormStats {
            for (name, m) in model.namedModules() {
                guard let bn = m as? BatchNorm else { continue }
                let own = bn.namedParameters().map { name.isEmpty ? $0.0 : "\(name).\($0.0)" }
                if !own.isEmpty && own.allSatisfy(frozen.contains) { bn.freezeStatistics = true }
            }
        }

        // Parameter groups over trainable parameters.
        let trainable = named.filter { $0.1.requiresGrad }
        let headPrefix = headIndex.map { "\($0)." }
        func isHead(_ n: String) -> Bool { headPrefix.map { n.hasPrefix($0) } ?? false }
        var groups: [ParamGroup]
        switch ft.lr {
        case nil:
            groups = [ParamGroup(trainable)]
        case let .split(backbone, head)?:
            let hp = trainable.filter { isHead($0.0) }, bp = trainable.filter { !isHead($0.0) }
            groups = []
            if !bp.isEmpty { groups.append(ParamGroup(bp, options: ["lr": .double(backbone)])) }
            if !hp.isEmpty { groups.append(ParamGroup(hp, options: ["lr": .double(head)])) }
        case let .groups(specs)?:
            var buckets = Array(repeating: [(String, Parameter)](), count: specs.count)
            var rest: [(String, Parameter)] = []
            for (n, p) in trainable {
                if let i = specs.firstIndex(where: { $0.params.contains { FineTuner.glob($0, n) } }) {
                    buckets[i].append((n, p))
                } else { rest.append((n, p)) }
            }
            groups = zip(specs, buckets).filter { !$0.1.isEmpty }.map { ParamGroup($0.1, options: ["lr": .double($0.0.lr)]) }
            if !rest.isEmpty { groups.append(ParamGroup(rest)) }
        }
        let optimizer = config.optimizer.makeOptimizer(groups: groups)
        self.optimizer = optimizer
        if ft.optimizerState == .carry {
            optimizerReport = optimizer.loadState(byName: src.optimizerState ?? [:])
        } else {
            optimizerReport = nil
        }

        l2sp = ft.l2sp
        let loaded = Set(loadReport.loaded)
        startWeights = ft.l2sp > 0 ? trainable.filter { !isHead($0.0) && loaded.contains($0.0) }
            .map { ($0.0, $0.1, $0.1.value.detach().contiguous()) } : []
    }

    /// `l2sp/2 · Σ‖w − w0‖²` over the starting weights; nil when L2-SP is off.
    public var regularizer: (() -> Tensor)? {
        guard l2sp > 0, !startWeights.isEmpty else { return nil }
        let weights = startWeights, alpha = Float(l2sp / 2)
        return {
            var total: Tensor?
            for (_, p, w0) in weights {
                let d = (p.value - w0).square().sum()
                total = total.map { $0 + d } ?? d
            }
            return total! * alpha
        }
    }

    /// Builds the whole fine-tuning trainer for `config` in `runDirectory`: datasets labelled
    /// through the grown class map, rehearsal, L2-SP and the class map stored in checkpoints.
    public static func makeTrainer(config: RunConfig, runDirectory: URL?, progress: Bool = true, handleSignals: Bool = true) throws
        -> (trainer: Trainer, fineTuner: FineTuner) {
        guard let ft = config.finetune else {
            throw TrainerError.badState(key: "finetune", reason: "the config has no finetune section")
        }
        var trainClasses: [String]?
        if case let .imageFolder(s) = config.data.train {
            trainClasses = try ImageFolder(root: URL(fileURLWithPath: s.path), config: s.imageFolderConfig).classMap.names
        }
        let tuner = try FineTuner(config: config, trainClasses: trainClasses)
        let train = try RunLauncher.dataset(config.data.train, classMap: tuner.classMap)
        let val = try config.data.val.map { try RunLauncher.dataset($0, classMap: tuner.classMap) }
        let rehearsal = try ft.rehearsal.map { (data: try RunLauncher.dataset($0.data, classMap: tuner.classMap), ratio: $0.ratio) }
        var options = RunLauncher.options(config: config, runDirectory: runDirectory, progress: progress)
        options.handleSignals = handleSignals
        let smoothing = Float(config.training.labelSmoothing)
        let scheduler = RunLauncher.scheduler(config: config, optimizer: tuner.optimizer, trainCount: train.count)
        let trainer = try Trainer(model: tuner.model, optimizer: tuner.optimizer, scheduler: scheduler,
                                  lossFn: { Loss.crossEntropy($0, $1, labelSmoothing: smoothing) },
                                  trainData: train, valData: val, options: options, rehearsal: rehearsal)
        trainer.regularizer = tuner.regularizer
        trainer.extraState = try RunLauncher.extraState(config: config, classMap: tuner.classMap)
        return (trainer, tuner)
    }
}
