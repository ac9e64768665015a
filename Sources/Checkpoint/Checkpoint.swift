import Foundation
import TensorCore
import NN
import Optimizers

/// A complete training snapshot in memory: model tensors, optimizer state and trainer state.
///
/// `CheckpointStore` writes it as a directory and reads it back; `capture` / `restore` move it in
/// and out of live objects. Tensors are copy-on-write, so a captured checkpoint is a cheap
/// snapshot that later in-place updates of the model or optimizer do not change.
public struct Checkpoint: Sendable {
    /// Model parameters and persistent buffers by PyTorch state-dict key.
    public var model: StateDict
    /// Optimizer state by parameter name, when an optimizer was captured.
    public var optimizer: OptimizerSnapshot?
    /// Progress, metrics, random streams, scheduler states, config and user state.
    public var trainerState: TrainerState

    /// Assembles a checkpoint.
    public init(model: StateDict, optimizer: OptimizerSnapshot? = nil, trainerState: TrainerState) {
        self.model = model
        self.optimizer = optimizer
        self.trainerState = trainerState
    }

    /// Loads only the model tensors into `model` under `policy` (see `StateDict.load(into:policy:device:)`).
    @discardableResult
    public func load(into model: Module, policy: LoadPolicy = .strict, device: Device = .cpu) throws -> LoadReport {
        try self.model.load(into: model, policy: policy, device: device)
    }

    /// Compares the checkpoint's architecture with `model`'s before anything is loaded.
    public func preflight(_ model: Module) -> ArchitectureFingerprint.Diff {
        trainerState.fingerprint.diff(ArchitectureFingerprint(model: model))
    }
}
