import Foundation
import TensorCore
import NN
import Optimizers

/// A whole training checkpoint in one `.pth` file, the way PyTorch scripts save it: model state,
/// optimizer state, epoch, loss and any extra keys.
///
/// Writes the tutorial layout `{"epoch", "model_state_dict", "optimizer_state_dict", "loss", extra…}`
/// (absent parts omitted), which `torch.load(path, weights_only=True)` reads back and
/// `model.load_state_dict(ckpt["model_state_dict"])` / `optimizer.load_state_dict(...)` accept.
/// Reads that layout, `{"model", "optimizer", …}`, Lightning's `{"state_dict", "optimizer_states",
/// "epoch", "global_step", …}` and a bare state dict; a common `module.` prefix (DataParallel), and
/// for Lightning a common `model.` prefix, is removed from the model keys.
public struct SingleFileCheckpoint: @unchecked Sendable {
    /// The model's parameters and buffers.
    public var model: StateDict
    /// The optimizer state in torch's structure, if saved.
    public var optimizer: OptimizerStateDict?
    /// Epoch number, if saved.
    public var epoch: Int?
    /// Loss, if saved (a number or a one-element tensor in the file).
    public var loss: Double?
    /// Lightning's `global_step`, if present (written back as an extra key).
    public var globalStep: Int?
    /// Every other top-level key, in file order.
    public var extra: CheckpointValue.Entries
    /// The layout it was read from (`.tutorial` for one built in Swift).
    public private(set) var layout: TorchCheckpointLayout.Kind
    /// The key prefix removed from the model keys on read (`module.`, `model.`), or "".
    public private(set) var strippedPrefix: String

    /// A checkpoint to write.
    public init(model: StateDict, optimizer: OptimizerStateDict? = nil, epoch: Int? = nil, loss: Double? = nil,
                extra: CheckpointValue.Entries = []) {
        self.model = model
        self.optimizer = optimizer
        self.epoch = epoch
        self.loss = loss
        self.extra = extra
        self.layout = .tutorial
        self.strippedPrefix = ""
    }

    /// Interprets a loaded object in any of the recognized layouts; `file` names it in errors.
    public init(_ value: CheckpointValue, file: String = "<value>") throws {
        let (sd, kind, prefix) = try TorchCheckpointLayout.modelStateDict(in: value, file: file)
        model = sd
        layout = kind
        strippedPrefix = prefix
        optimizer = nil
        epoch = nil
        loss = nil
        globalStep = nil
        extra = []
        guard kind != .stateDict else { return }
        // Keys read into the fields; every other key is kept in `extra`.
        var consumed: Set<String> = [TorchCheckpointLayout.modelKey(kind)!, "epoch", "loss", "global_step"]
        if let (key, o) = TorchCheckpointLayout.optimizerStateLocation(in: value) {
            optimizer = try TorchCheckpointLayout.optimizerStateDict(from: o, file: file, context: key)
            // Lightning may hold several optimizers; all but a single one stay visible in `extra`.
            if key != "optimizer_states[0]" { consumed.insert(key) }
            else if value["optimizer_states"]?.listValue?.count == 1 { consumed.insert("optimizer_states") }
        }
        if let e = value["epoch"], !e.isNone {
            guard let i = e.intValue, case .int = e else {
                throw TorchFileError.unexpectedStructure(file: file, key: "epoch", expected: "an int", found: e.kindName)
            }
            epoch = i
        }
        if let l = value["loss"], !l.isNone {
            if let d = l.doubleValue, l.boolValue == nil {
                loss = d
            } else if let t = l.tensorValue, t.count == 1 {
                let c = t.contiguousCopy()
                loss = withExtendedLifetime(c) { DTypeCodec.readDouble(c.storage.base, 0, c.dtype) }
            } else {
                throw TorchFileError.unexpectedStructure(file: file, key: "loss", expected: "a number or a one-element tensor", found: l.kindName)
            }
        }
        if let g = value["global_step"], let i = g.intValue { globalStep = i }
        for (k, v) in value.dictValue ?? [] {
            if let s = k.stringValue, consumed.contains(s) { continue }
            extra.append((key: k, value: v))
        }
    }

    /// Reads `url` weights-only and interprets it (see `init(_:file:)`).
    public static func read(contentsOf url: URL, device: Device = .cpu) throws -> SingleFileCheckpoint {
        try SingleFileCheckpoint(TorchFile.read(contentsOf: url, device: device), file: url.path)
    }

    /// The tutorial-layout object: `epoch`, `model_state_dict`, `optimizer_state_dict`, `loss`, then
    /// `global_step` and the extra keys.
    public var value: CheckpointValue {
        var e: CheckpointValue.Entries = []
        if let epoch { e.append((key: "epoch", value: .int(Int64(epoch)))) }
        e.append((key: "model_state_dict", value: TorchCheckpointLayout.value(from: model)))
        if let optimizer { e.append((key: "optimizer_state_dict", value: TorchCheckpointLayout.value(from: optimizer))) }
        if let loss { e.append((key: "loss", value: .double(loss))) }
        if let globalStep { e.append((key: "global_step", value: .int(Int64(globalStep)))) }
        e += extra
        return .dict(e)
    }

    /// Writes the checkpoint as one `.pth` (atomically; see `TorchFile.write`).
    public func write(to url: URL, fsync: Bool = true) throws {
        try TorchFile.write(value, to: url, fsync: fsync)
    }

    /// Loads the model state into `module` (keys adapted to the module's: `module.`/`model.` prefixes).
    @discardableResult
    public func restore(model module: Module, strict: Bool = true) throws -> StateDictLoadResult {
        try module.load(stateDict: TorchCheckpointLayout.adaptKeys(model, to: module.stateDict().keys), strict: strict)
    }

    /// Loads the optimizer state into `optimizer`, if the checkpoint has one; returns whether it did.
    @discardableResult
    public func restore(optimizer target: Optimizer, matching: ParameterMatching = .position) throws -> Bool {
        guard let optimizer else { return false }
        try target.load(stateDict: optimizer, matching: matching)
        return true
    }
}
