import Foundation

/// Loss and accuracy of a model over a dataset.
public struct EvaluationResult: Sendable, Equatable {
    /// Mean loss over examples (batch losses weighted by batch size).
    public var loss: Double
    /// Fraction of examples whose argmax matches the label (nil when the output is not [B, classes]).
    public var accuracy: Double?
    /// Accuracy per class label, for labels that occur.
    public var perClass: [Int: Double]
    /// Examples evaluated.
    public var count: Int

    /// The result as `val_loss` / `val_accuracy` metrics.
    public func metrics(prefix: String = "val_") -> [String: Double] {
        var m = [prefix + "loss": loss]
        if let accuracy { m[prefix + "accuracy"] = accuracy }
        return m
    }
}
