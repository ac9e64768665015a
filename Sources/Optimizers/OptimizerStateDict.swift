import TensorCore
import NN

/// PyTorch's `optimizer.state_dict()` structure as a Swift value, plus the index → name map.
///
/// `state` is keyed by the integer index torch gives each parameter (numbered across all groups,
/// in group order); each entry lists `step` first as a 0-d float32 tensor, then the buffers, in
/// torch's insertion order. `paramGroups` are the group dicts exactly as torch writes them: every
/// hyper-parameter in torch's order, then `params` as a list of ints (and `param_names` first when
/// requested, as torch does for optimizers built from `named_parameters()`). `names` is not part of
/// torch's structure: it records which parameter each index means, so state can move by name.
/// The checkpoint module serializes this value to `.pth` (`state` then `param_groups`).
public struct OptimizerStateDict: @unchecked Sendable {
    /// Per-parameter state by torch index.
    public var state: [Int: StateDict]
    /// Group dicts (hyper-parameters, then `params`).
    public var paramGroups: [HyperDict]
    /// Parameter name of each index (from our optimizer, or from torch's `param_names`).
    public var names: [Int: String]

    /// Assembles a state dict.
    public init(state: [Int: StateDict] = [:], paramGroups: [HyperDict] = [], names: [Int: String] = [:]) {
        self.state = state
        self.paramGroups = paramGroups
        self.names = names
    }

    /// State indices in ascending order (torch writes them in the order parameters first got state,
    /// which is ascending whenever every parameter stepped together).
    public var stateIndices: [Int] { state.keys.sorted() }

    /// The `params` index list of group `g`; a typed error names the group when it is malformed.
    public func paramIndices(group g: Int) throws -> [Int] {
        let context = "optimizer state param_groups[\(g)]"
        return try paramGroups[g].requireArray("params", in: context).enumerated().map { i, v in
            guard let idx = v.intValue else {
                throw StateLoadError.wrongType(context: context, key: "params[\(i)]", expected: "int", found: v.kindName)
            }
            return idx
        }
    }

    /// The parameter names known for each index: `names`, else the groups' `param_names` lists.
    public func resolvedNames() throws -> [Int: String] {
        var out = names
        for g in paramGroups.indices {
            guard let list = paramGroups[g]["param_names"]?.arrayValue else { continue }
            let idx = try paramIndices(group: g)
            for (i, v) in zip(idx, list) where out[i] == nil {
                if let s = v.stringValue { out[i] = s }
            }
        }
        return out
    }

    /// Converts one torch state entry to an `OptimizerState` (`step` may be any dtype, 0-d or 1-element).
    public static func optimizerState(from entry: StateDict, index: Int) throws -> OptimizerState {
        var s = OptimizerState()
        for (k, t) in entry {
            if k == "step" {
                guard t.count == 1 else {
                    throw StateLoadError.invalidValue(context: "optimizer state[\(index)]", key: "step",
                                                      reason: "expected one element, found shape \(t.shape)")
                }
                s.step = t.item
            } else {
                guard t.dtype.isFloatingPoint else {
                    throw StateLoadError.wrongType(context: "optimizer state[\(index)]", key: k,
                                                   expected: "floating-point tensor", found: t.dtype.rawValue)
                }
                s[k] = t
            }
        }
        return s
    }

    /// Converts an `OptimizerState` to torch's entry: `step` (0-d float32) first, then the buffers.
    public static func entry(from s: OptimizerState) -> StateDict {
        var d = StateDict()
        if let step = s.step { d["step"] = Tensor(scalar: step) }
        for (k, t) in s.tensors { d[k] = t }
        return d
    }
}
