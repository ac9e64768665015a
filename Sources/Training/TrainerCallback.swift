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
