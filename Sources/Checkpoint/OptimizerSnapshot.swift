import Foundation
import TensorCore
import NN
import Optimizers

/// An optimizer's state keyed by parameter name, with its groups' names and hyper-parameters:
/// what `optimizer.safetensors` + `optimizer.json` hold, independent of parameter order.
public struct OptimizerSnapshot: @unchecked Sendable {
    /// One parameter group: its parameter names and every hyper-parameter, in torch's order.
    public struct Group: Codable, Sendable, Equatable {
        /// Parameter names (state-dict keys), in group order.
        public var paramNames: [String]
        /// Hyper-parameters (`lr`, `betas`, …) as torch keeps them.
        public var options: HyperDict

        /// Makes a group.
        public init(paramNames: [String], options: HyperDict) {
            self.paramNames = paramNames
            self.options = options
        }

        private enum CodingKeys: String, CodingKey { case paramNames = "param_names", options }
    }

    /// The optimizer's type name (`Adam`, `SGD`, …).
    public var typeName: String
    /// The optimizer's defaults.
    public var defaults: HyperDict
    /// Groups in order.
    public var groups: [Group]
    /// Per-parameter state by name (parameters never stepped have none).
    public var state: [String: OptimizerState]

    /// Assembles a snapshot.
    public init(typeName: String, defaults: HyperDict = [:], groups: [Group], state: [String: OptimizerState]) {
        self.typeName = typeName
        self.defaults = defaults
        self.groups = groups
        self.state = state
    }

    /// Captures `optimizer`'s state; tensors are shared copy-on-write, so later steps do not change it.
    public init(_ optimizer: Optimizer) {
        self.init(typeName: optimizer.typeName, defaults: optimizer.defaults,
                  groups: optimizer.paramGroups.map { Group(paramNames: $0.names, options: $0.options) },
                  state: optimizer.state)
    }

    /// Every parameter name, in group order.
    public var paramNames: [String] { groups.flatMap(\.paramNames) }

    /// Restores into `optimizer` by parameter name: retained parameters get their moments and step,
    /// new ones start fresh, removed ones are dropped. Group hyper-parameters are replaced when the
    /// group count agrees (missing keys get the optimizer's defaults).
    @discardableResult
    public func restore(into optimizer: Optimizer) -> StateLoadReport {
        var report = optimizer.loadState(byName: state)
        if groups.count == optimizer.paramGroups.count {
            for i in optimizer.paramGroups.indices { optimizer.paramGroups[i].options = groups[i].options }
            optimizer.didLoadHyperParameters()
            report.loadedHyperParameters = true
        }
        return report
    }

    /// Tensors as stored in `optimizer.safetensors`: `<param>.<buffer>` and `<param>.step` (0-d float32).
    var tensors: [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        for name in state.keys.sorted() {
            let s = state[name]!
            if let step = s.step { out.append((name: name + ".step", tensor: Tensor(scalar: step))) }
            for (k, t) in s.tensors { out.append((name: name + "." + k, tensor: t)) }
        }
        return out
    }

    /// Buffer order per parameter, which the JSON keeps because safetensors sorts its keys.
    var layout: [StateLayout] {
        state.keys.sorted().map { name in
            let s = state[name]!
            return StateLayout(param: name, step: s.step != nil, buffers: s.keys)
        }
    }

    /// Which tensors of `optimizer.safetensors` belong to one parameter.
    struct StateLayout: Codable, Equatable {
        var param: String
        var step: Bool
        var buffers: [String]
    }

    /// The `optimizer.json` document.
    struct Document: Codable {
        var formatVersion: Int
        var type: String
        var defaults: HyperDict
        var paramGroups: [Group]
        var state: [StateLayout]

        private enum CodingKeys: String, CodingKey {
            case formatVersion = "format_version", type, defaults, paramGroups = "param_groups", state
        }
    }

    /// The JSON document describing this snapshot.
    var document: Document {
        Document(formatVersion: CheckpointVersion.format, type: typeName, defaults: defaults, paramGroups: groups, state: layout)
    }

    /// Reassembles a snapshot from its JSON document and tensors; every referenced tensor must exist.
    init(document d: Document, tensors: (String) throws -> Tensor?, file: String) throws {
        var state: [String: OptimizerState] = [:]
        for (i, entry) in d.state.enumerated() {
            var s = OptimizerState()
            if entry.step {
                guard let t = try tensors(entry.param + ".step") else {
                    throw CheckpointError.inconsistent(file: file, key: "state[\(i)].step",
                                                       reason: "no tensor '\(entry.param).step' in optimizer.safetensors")
                }
                guard t.count == 1 else {
                    throw CheckpointError.inconsistent(file: file, key: "state[\(i)].step",
                                                       reason: "'\(entry.param).step' has shape \(t.shape), expected one element")
                }
                s.step = t.item
            }
            for b in entry.buffers {
                guard let t = try tensors(entry.param + "." + b) else {
                    throw CheckpointError.inconsistent(file: file, key: "state[\(i)].buffers",
                                                       reason: "no tensor '\(entry.param).\(b)' in optimizer.safetensors")
                }
                s[b] = t
            }
            state[entry.param] = s
        }
        self.init(typeName: d.type, defaults: d.defaults, groups: d.paramGroups, state: state)
    }
}
