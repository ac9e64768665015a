import TensorCore

/// Base class of layers and models; parameters, buffers and children are found by reflection.
///
/// As in mlx-swift, a layer is a plain class whose stored properties are its structure:
/// `@Param`/`@OptionalParam` for parameters, `@BufferSlot` for buffers, and properties holding a
/// `Module`, `Module?` or `[Module]` for children. Keys follow PyTorch's `state_dict()`: own
/// parameters, then own buffers, then each child under `name.` (arrays under `name.0.`), in
/// declaration order (superclass properties first).
open class Module: @unchecked Sendable {
    /// Training mode (dropout active, batch statistics used) versus evaluation mode.
    public private(set) var training: Bool = true

    /// Creates a module in training mode.
    public init() {}

    /// The forward pass; subclasses override.
    open func forward(_ x: Tensor) -> Tensor {
        preconditionFailure("\(type(of: self)).forward is not implemented")
    }

    /// Calls `forward`.
    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// Name shown in summaries and fingerprints (PyTorch class name where one corresponds).
    open var typeName: String { String(describing: type(of: self)) }

    /// Constructor arguments in PyTorch's `extra_repr` style, e.g. `in_features=4, out_features=2`.
    open var extraDescription: String { "" }

    /// What reflection found on one module.
    private struct Slots {
        var tensors: [(String, TensorSlot)] = []
        var children: [(String, Module)] = []
    }

    private func slots() -> Slots {
        var s = Slots()
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let cur = m { mirrors.append(cur); m = cur.superclassMirror }
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard var label = child.label else { continue }
                if let slot = child.value as? TensorSlot {
                    if label.hasPrefix("_") { label.removeFirst() }
                    s.tensors.append((slot.key ?? label, slot))
                } else if let mod = child.value as? Module {
                    s.children.append((label, mod))
                } else if let mods = child.value as? [Module] {
                    for (i, mod) in mods.enumerated() { s.children.append(("\(label).\(i)", mod)) }
                } else if let opt = child.value as? Module?, let mod = opt {
                    s.children.append((label, mod))
                }
            }
        }
        if let custom = self as? CustomChildren { s.children = custom.childModules }
        return s
    }

    /// Direct children with their keys.
    public func namedChildren() -> [(String, Module)] { slots().children }

    /// This module and every descendant, with dotted paths ("" for self).
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        for (k, c) in namedChildren() { out += c.namedModules(prefix: prefix.isEmpty ? k : "\(prefix).\(k)") }
        return out
    }

    /// Every parameter with its state-dict key, in PyTorch's order.
    public func namedParameters() -> [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        var seen = Set<ObjectIdentifier>()
        for (path, m) in namedModules() {
            for (k, slot) in m.slots().tensors {
                if let p = slot.parameter, seen.insert(ObjectIdentifier(p)).inserted {
                    out.append((path.isEmpty ? k : "\(path).\(k)", p))
                }
            }
        }
        return out
    }

    /// All parameters, in PyTorch's order.
    public func parameters() -> [Parameter] { namedParameters().map { $0.1 } }

    /// Own parameters then own buffers of this module only (keys without a path).
    func ownTensors() -> (parameters: [(String, Parameter)], buffers: [(String, Buffer)]) {
        var ps: [(String, Parameter)] = [], bs: [(String, Buffer)] = []
        for (k, slot) in slots().tensors {
            if let p = slot.parameter { ps.append((k, p)) }
            if let b = slot.buffer { bs.append((k, b)) }
        }
        return (ps, bs)
    }

    /// Every buffer with its key (persistent and not).
    public func namedBuffers() -> [(String, Buffer)] {
        var out: [(String, Buffer)] = []
        for (path, m) in namedModules() {
            for (k, slot) in m.slots().tensors {
                if let b = slot.buffer { out.append((path.isEmpty ? k : "\(path).\(k)", b)) }
            }
        }
        return out
    }

    /// Switches this module and all descendants to training (true) or evaluation (false) mode.
    public func train(_ on: Bool = true) {
        for (_, m) in namedModules() { m.training = on }
    }

    /// Evaluation mode (`train(false)`).
    public func eval() { train(false) }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters() { p.zeroGrad() } }

    /// Total number of parameter elements.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }
}

/// Lets a container supply its children explicitly instead of by reflection.
public protocol CustomChildren {
    /// Children with their keys, in order.
    var childModules: [(String, Module)] { get }
}
