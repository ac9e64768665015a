import Foundation

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
