import ArgumentParser
import Checkpoint
import Foundation
import TensorCore

/// `cairn diff`: which tensors two checkpoints share and how far apart their values are.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the tensors of two checkpoints (any mix of .pth, .safetensors, directories).",
        discussion: """
        Reports keys only in A, keys only in B, shape and dtype differences, and for every common
        key of equal shape the max absolute and relative difference, computed in float64 (dtypes
        may differ). relative = max|a-b| / max(max|a|, max|b|) over finite values.
        NaN: positions where both sides are NaN are equal; where only one side is NaN they count in
        nan_mismatches and are excluded from max_abs_diff. Equal infinities are equal.
        Keys: a .pth is flattened to dotted keys (model_state_dict.0.weight) unless --model-only,
        which takes only the model state dict of a training checkpoint (module./Lightning model.
        prefixes removed); a directory gives its model keys plus optimizer.<param>.<buffer>.
        Exit status 0 whether or not they differ (see "identical" in --json); 1 on unreadable input.
        Examples:
          cairn diff before.safetensors after.safetensors
          cairn diff checkpoint.pth runs/imported/epoch-0010 --model-only --json
        """)

    @Argument(help: "First checkpoint.") var a: String
    @Argument(help: "Second checkpoint.") var b: String
    @Flag(help: "Compare only the model state dicts.") var modelOnly = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let ta = try CheckpointSource.tensors(at: a, modelOnly: modelOnly)
        let tb = try CheckpointSource.tensors(at: b, modelOnly: modelOnly)
        let mapB = Dictionary(tb.map { ($0.key, $0.tensor) }, uniquingKeysWith: { x, _ in x })
        let keysA = Set(ta.map(\.key))
        let onlyA = ta.map(\.key).filter { mapB[$0] == nil }
        let onlyB = tb.map(\.key).filter { !keysA.contains($0) }
        var shapeDiffs: [JSONValue] = [], dtypeDiffs: [JSONValue] = [], tensors: [JSONValue] = []
        var lines: [String] = []
        var identical = onlyA.isEmpty && onlyB.isEmpty
        var differingTensors = 0
        for (key, x) in ta {
            guard let y = mapB[key] else { continue }
            if x.dtype != y.dtype {
                dtypeDiffs.append(.object(["key": .string(key), "a": .string(x.dtype.rawValue), "b": .string(y.dtype.rawValue)]))
                lines.append("dtype  \(key): \(x.dtype.rawValue) vs \(y.dtype.rawValue)")
                identical = false
            }
            guard x.shape == y.shape else {
                shapeDiffs.append(.object(["key": .string(key), "a": .array(x.shape.map { .int(Int64($0)) }),
                                           "b": .array(y.shape.map { .int(Int64($0)) })]))
                lines.append("shape  \(key): \(x.shape) vs \(y.shape)")
                identical = false
                continue
            }
            let c = TensorComparison(x, y)
            if !c.identical {
                identical = false
                differingTensors += 1
                lines.append("value  \(key): max_abs \(Self.fmt(c.maxAbsDiff)), rel \(Self.fmt(c.relDiff)), "
                             + "\(c.differing)/\(x.count) elements differ" + (c.nanMismatches > 0 ? ", \(c.nanMismatches) NaN mismatches" : ""))
            }
            tensors.append(.object(["key": .string(key), "max_abs_diff": .number(c.maxAbsDiff), "rel_diff": .number(c.relDiff),
                                    "differing_elements": .int(Int64(c.differing)), "elements": .int(Int64(x.count)),
                                    "nan_mismatches": .int(Int64(c.nanMismatches)), "identical": .bool(c.identical)]))
        }
        if json {
            try JSONOutput.print(.object([
                "a": .string(a), "b": .string(b), "identical": .bool(identical),
                "only_in_a": .array(onlyA.map { .string($0) }), "only_in_b": .array(onlyB.map { .string($0) }),
                "shape_mismatches": .array(shapeDiffs), "dtype_mismatches": .array(dtypeDiffs),
                "tensors": .array(tensors), "differing_tensors": .int(Int64(differingTensors)),
            ]))
            return
        }
        for k in onlyA { print("only in A  \(k)") }
        for k in onlyB { print("only in B  \(k)") }
        lines.forEach { print($0) }
        print(identical ? "identical: \(ta.count) tensors" :
              "differ: \(onlyA.count) only in A, \(onlyB.count) only in B, \(shapeDiffs.count) shape, "
              + "\(dtypeDiffs.count) dtype, \(differingTensors) value differences (of \(tensors.count) compared)")
    }

    static func fmt(_ v: Double) -> String { String(format: "%.6g", v) }
}
