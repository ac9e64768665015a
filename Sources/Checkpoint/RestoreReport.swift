import Foundation
import TensorCore
import Optimizers

/// What `Checkpoint.restore` did: the architecture diff, the model load, the optimizer carry-over,
/// the schedulers and random state restored.
public struct RestoreReport: Sendable {
    /// Checkpoint architecture versus the model, computed before loading.
    public var preflight: ArchitectureFingerprint.Diff
    /// The model load, key by key.
    public var model: LoadReport
    /// Optimizer state carried, started fresh, dropped or mismatched, by parameter name (nil: not restored).
    public var optimizer: StateLoadReport?
    /// Number of schedulers whose state was restored.
    public var schedulersRestored: Int
    /// Module paths whose own generator (Dropout) was restored.
    public var moduleRNGRestored: [String]
    /// The run's random streams from the checkpoint; assign them to the trainer's streams.
    public var rng: RNGStreams?
    /// Epoch recorded in the checkpoint.
    public var epoch: Int
    /// Global step recorded in the checkpoint.
    public var globalStep: Int
    /// Things not restored under a non-strict policy, and why.
    public var notes: [String]

    /// A readable multi-line rendering for the CLI.
    public func rendered() -> String {
        var lines = ["restored epoch \(epoch), step \(globalStep)"]
        if !preflight.isEmpty { lines.append("architecture changes:"); lines += preflight.description.split(separator: "\n").map { "  \($0)" } }
        lines.append("model: " + model.rendered().replacingOccurrences(of: "\n", with: "\n  "))
        if let o = optimizer { lines.append("optimizer: " + o.description.replacingOccurrences(of: "\n", with: "\n  ")) }
        lines.append("schedulers restored: \(schedulersRestored)")
        if !moduleRNGRestored.isEmpty { lines.append("module generators restored: \(moduleRNGRestored.joined(separator: ", "))") }
        if rng != nil { lines.append("random streams: restored in report.rng") }
        for n in notes { lines.append("note: \(n)") }
        return lines.joined(separator: "\n")
    }
}

extension RestoreReport: Encodable {
    private enum CodingKeys: String, CodingKey {
        case preflight, model, optimizer, schedulersRestored = "schedulers_restored"
        case moduleRNGRestored = "module_rng_restored", hasRNG = "has_rng", epoch, globalStep = "global_step", notes
    }
    private enum OptimizerKeys: String, CodingKey {
        case carried, fresh, dropped, mismatched, loadedHyperParameters = "loaded_hyper_parameters"
    }

    /// JSON for `--json`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(preflight, forKey: .preflight)
        try c.encode(model, forKey: .model)
        if let o = optimizer {
            var oc = c.nestedContainer(keyedBy: OptimizerKeys.self, forKey: .optimizer)
            try oc.encode(o.carried, forKey: .carried)
            try oc.encode(o.fresh, forKey: .fresh)
            try oc.encode(o.dropped, forKey: .dropped)
            try oc.encode(o.mismatched, forKey: .mismatched)
            try oc.encode(o.loadedHyperParameters, forKey: .loadedHyperParameters)
        } else {
            try c.encodeNil(forKey: .optimizer)
        }
        try c.encode(schedulersRestored, forKey: .schedulersRestored)
        try c.encode(moduleRNGRestored, forKey: .moduleRNGRestored)
        try c.encode(rng != nil, forKey: .hasRNG)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(globalStep, forKey: .globalStep)
        try c.encode(notes, forKey: .notes)
    }
}
