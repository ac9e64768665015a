import Foundation
import Checkpoint
import TensorCore

/// Whether two run directories ended in the same state, bit for bit: the latest checkpoints' model
/// tensors, optimizer buffers and step counts, param-group options and counters, and the metric
/// logs (`logs/metrics.jsonl`). What exact resume promises, checked the way a user would check it.
public struct RunComparison: Sendable {
    /// Each difference found, e.g. "model 4.weight: 17 of 48 values differ"; empty when identical.
    public private(set) var differences: [String] = []
    /// Tensors compared (model and optimizer).
    public private(set) var tensorsCompared = 0
    /// Values compared across those tensors.
    public private(set) var valuesCompared = 0
    /// Metric-log records compared.
    public private(set) var logRecords = 0
    /// The global step both runs ended at (the first run's, when they differ).
    public private(set) var globalStep = 0

    /// True when nothing differs.
    public var identical: Bool { differences.isEmpty }

    /// Compares the latest valid checkpoints and logs of run directories `a` and `b`.
    public init(_ a: URL, _ b: URL) throws {
        let ca = try CheckpointStore.load(from: try FineTuner.resolve(a.path + "/checkpoints/latest"))
        let cb = try CheckpointStore.load(from: try FineTuner.resolve(b.path + "/checkpoints/latest"))
        globalStep = ca.trainerState.globalStep
        if ca.trainerState.globalStep != cb.trainerState.globalStep || ca.trainerState.epoch != cb.trainerState.epoch {
            differences.append("position: step \(ca.trainerState.globalStep), epoch \(ca.trainerState.epoch) vs step "
                               + "\(cb.trainerState.globalStep), epoch \(cb.trainerState.epoch)")
        }
        compare(ca.model.pairs, cb.model.pairs, "model")
        switch (ca.optimizer, cb.optimizer) {
        case let (oa?, ob?):
            if oa.groups != ob.groups { differences.append("optimizer param groups differ") }
            if Set(oa.state.keys) != Set(ob.state.keys) { differences.append("optimizer state covers different parameters") }
            for name in oa.state.keys.sorted() {
                guard let sa = oa.state[name], let sb = ob.state[name] else { continue }
                if sa.step?.bitPattern != sb.step?.bitPattern {
                    differences.append("optimizer \(name).step: \(sa.step.map { "\($0)" } ?? "none") vs \(sb.step.map { "\($0)" } ?? "none")")
                }
                compare(sa.tensors, sb.tensors, "optimizer \(name)")
            }
        case (nil, nil): break
        default: differences.append("only one run saved optimizer state")
        }
        let la = try Self.log(a), lb = try Self.log(b)
        logRecords = la.count
        if la != lb {
            let i = zip(la, lb).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(la.count, lb.count)
            differences.append("metrics.jsonl: \(la.count) vs \(lb.count) records, first difference at record \(i + 1)")
        }
    }

    /// One line for people: identical or the first differences.
    public var summary: String {
        if identical {
            return "identical: \(tensorsCompared) tensors (\(valuesCompared) values) and \(logRecords) log records at step \(globalStep)"
        }
        return "DIFFERENT: " + differences.prefix(5).joined(separator: "; ")
            + (differences.count > 5 ? "; … \(differences.count - 5) more" : "")
    }

    private mutating func compare(_ a: [(String, Tensor)], _ b: [(String, Tensor)], _ what: String) {
        let bd = Dictionary(b, uniquingKeysWith: { x, _ in x })
        if a.map(\.0).sorted() != b.map(\.0).sorted() { differences.append("\(what): different tensor names") }
        for (name, ta) in a {
            guard let tb = bd[name] else { continue }
            tensorsCompared += 1
            guard ta.shape == tb.shape, ta.dtype == tb.dtype else {
                differences.append("\(what) \(name): \(ta.dtype)\(ta.shape) vs \(tb.dtype)\(tb.shape)")
                continue
            }
            valuesCompared += ta.count
            let differing: Int
            if ta.dtype.isFloatingPoint {
                differing = zip(ta.toArray(), tb.toArray()).filter { $0.bitPattern != $1.bitPattern }.count
            } else {
                differing = zip(ta.toInt64Array(), tb.toInt64Array()).filter { $0 != $1 }.count
            }
            if differing > 0 { differences.append("\(what) \(name): \(differing) of \(ta.count) values differ") }
        }
    }

    private static func log(_ run: URL) throws -> [Substring] {
        let url = run.appendingPathComponent("logs/metrics.jsonl")
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        do {
            return try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        } catch {
            throw TrainerError.io(path: url.path, reason: "cannot read the log: \(error)")
        }
    }
}
