import Foundation

/// Hooks a `Trainer` calls during `fit()`; every hook has an empty default.
public protocol TrainerCallback: AnyObject {
    /// Before the first step (after a resume was applied).
    func onTrainStart(_ trainer: Trainer)
    /// After each optimizer step (or skipped non-finite step).
    func onStepEnd(_ trainer: Trainer, metrics: StepMetrics)
    /// After an epoch's last batch and its validation; `epoch` is the number of completed epochs.
    func onEpochEnd(_ trainer: Trainer, epoch: Int, metrics: [String: Double])
    /// After a validation pass.
    func onValidationEnd(_ trainer: Trainer, result: EvaluationResult)
    /// When `fit()` returns normally.
    func onTrainEnd(_ trainer: Trainer, result: FitResult)
}

extension TrainerCallback {
    /// Does nothing.
    public func onTrainStart(_ trainer: Trainer) {}
    /// Does nothing.
    public func onStepEnd(_ trainer: Trainer, metrics: StepMetrics) {}
    /// Does nothing.
    public func onEpochEnd(_ trainer: Trainer, epoch: Int, metrics: [String: Double]) {}
    /// Does nothing.
    public func onValidationEnd(_ trainer: Trainer, result: EvaluationResult) {}
    /// Does nothing.
    public func onTrainEnd(_ trainer: Trainer, result: FitResult) {}
}

/// What one training step produced.
public struct StepMetrics: Sendable, Equatable {
    /// Optimizer steps done, including this one.
    public var globalStep: Int
    /// The epoch in progress (0-based).
    public var epoch: Int
    /// The batch's index within the epoch.
    public var batchIndex: Int
    /// The batch loss (may be non-finite when the step was skipped).
    public var loss: Float
    /// Learning rate of the first parameter group used for this step.
    public var lr: Double
    /// Gradient norm before clipping, when clipping is on.
    public var gradNorm: Float?
    /// True when the step was skipped because the loss was not finite.
    public var skipped: Bool
}
