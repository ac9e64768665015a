import Foundation

/// How a `fit()` call ended.
public struct FitResult: Sendable, Equatable {
    /// Why training stopped.
    public enum StopReason: String, Sendable, Equatable {
        /// `maxSteps` reached.
        case maxSteps
        /// `epochs` completed.
        case epochs
        /// The early-stopping rule fired.
        case earlyStopping
        /// SIGINT/SIGTERM (or `requestStop()`).
        case interrupted
    }

    /// Why training stopped.
    public var stopReason: StopReason
    /// Optimizer steps done in total (including those before a resume).
    public var globalStep: Int
    /// Completed epochs.
    public var epochsCompleted: Int
    /// Loss of the last step, if any.
    public var lastLoss: Float?
    /// Metrics of the last validation, if any.
    public var lastValidation: [String: Double]
    /// The checkpoint this run resumed from.
    public var resumedFrom: URL?
    /// The last checkpoint written by this call.
    public var lastCheckpoint: URL?
    /// Steps skipped for a non-finite loss.
    public var skippedSteps: Int
}
