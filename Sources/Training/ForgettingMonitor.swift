import Foundation
import Data

/// Measures forgetting while fine-tuning: evaluates the model on the validation set split into old
/// classes (index < `oldClassCount`) and new ones, before training and after every epoch, and
/// reports `val_old_accuracy`, `val_new_accuracy` and `forgetting` (old accuracy before − after).
public final class ForgettingMonitor: TrainerCallback {
    /// Classes the base model knew (their indices come first in the class map).
    public let oldClassCount: Int
    /// The validation examples.
    public let data: any Dataset
    /// Old-class accuracy before the first step (nil until training starts).
    public private(set) var oldAccuracyBefore: Double?
    /// One metrics record per completed epoch, in order.
    public private(set) var history: [(epoch: Int, metrics: [String: Double])] = []
    /// Called with each epoch's record (e.g. to print it).
    public var report: ((Int, [String: Double]) -> Void)?

    /// A monitor over `data` with `oldClassCount` old classes.
    public init(oldClassCount: Int, data: any Dataset, report: ((Int, [String: Double]) -> Void)? = nil) {
        self.oldClassCount = oldClassCount
        self.data = data
        self.report = report
    }

    /// Old- and new-class accuracy of `trainer`'s model on `data` (nil where a part has no examples).
    public func accuracies(_ trainer: Trainer) throws -> (old: Double?, new: Double?) {
        let result = try trainer.evaluate(data: data)
        var counts: [Int: Int] = [:]
        if let folder = data as? ImageFolder {
            for (c, n) in folder.classCounts.enumerated() where n > 0 { counts[c] = n }
        } else {
            for i in 0..<data.count { counts[try data.example(at: i).label, default: 0] += 1 }
        }
        var oldHit = 0.0, oldN = 0, newHit = 0.0, newN = 0
        for (c, n) in counts {
            let hit = (result.perClass[c] ?? 0) * Double(n)
            if c < oldClassCount { oldHit += hit; oldN += n } else { newHit += hit; newN += n }
        }
        return (oldN > 0 ? oldHit / Double(oldN) : nil, newN > 0 ? newHit / Double(newN) : nil)
    }

    /// Records the old-class accuracy before fine-tuning changes anything; a resumed run takes it
    /// from the checkpoint, since its model has already changed.
    public func onTrainStart(_ trainer: Trainer) {
        if oldAccuracyBefore == nil {
            if let saved = trainer.restoredExtra[ForgettingMonitor.baselineKey], case let .number(v) = saved {
                oldAccuracyBefore = v
            } else if trainer.resumedFrom == nil {
                oldAccuracyBefore = try? accuracies(trainer).old
            }
        }
        if let v = oldAccuracyBefore { trainer.extraState[ForgettingMonitor.baselineKey] = .number(v) }
    }

    /// Evaluates after the epoch, records the split accuracies and forgetting, and logs them as a
    /// `forgetting` record in the run's metric logs.
    public func onEpochEnd(_ trainer: Trainer, epoch: Int, metrics: [String: Double]) {
        guard let (old, new) = try? accuracies(trainer) else { return }
        var m: [String: Double] = [:]
        if let before = oldAccuracyBefore { m["val_old_accuracy_before"] = before }
        if let old { m["val_old_accuracy"] = old }
        if let new { m["val_new_accuracy"] = new }
        if let old, let before = oldAccuracyBefore { m["forgetting"] = before - old }
        history.append((epoch, m))
        // A failed write resurfaces at the trainer's next log write, which throws.
        try? trainer.log(kind: "forgetting", epoch: epoch, values: m.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        report?(epoch, m)
    }

    /// The `extraState` key holding the old-class accuracy before fine-tuning.
    public static let baselineKey = "forgetting_baseline"
}
