/// One node of the reverse-mode graph: a leaf that accumulates `grad`, or an op with a backward rule.
///
/// Kept micrograd-small: an op result remembers its inputs' nodes and a closure that maps the
/// gradient of its output to gradients of its inputs; `backward()` walks a topological order once.
public final class GradNode: @unchecked Sendable {
    /// Op name, for error messages and debugging.
    public let op: String
    private(set) var inputs: [GradNode?]
    private(set) var rule: ((Tensor) -> [Tensor?])?
    /// Accumulated gradient (leaves only).
    public internal(set) var grad: Tensor?
    /// Set when a `backward()` without `retainGraph` released this op's rule and inputs.
    private(set) var freed = false

    init(leaf: ()) { op = "leaf"; inputs = []; rule = nil }
    init(op: String, inputs: [GradNode?], rule: @escaping (Tensor) -> [Tensor?]) {
        self.op = op; self.inputs = inputs; self.rule = rule
    }

    /// Whether this node is a leaf (a tensor created by the user, e.g. a parameter).
    public var isLeaf: Bool { rule == nil && !freed }

    /// Drops the rule and its captured tensors once back-propagated, as torch frees saved tensors:
    /// the forward activations go, and the parameters' storages are uniquely owned again, so the
    /// optimizer updates them in place instead of copying them.
    func release() {
        guard rule != nil else { return }
        rule = nil
        inputs = []
        freed = true
    }

    /// Adds `g` to this leaf's gradient (PyTorch's accumulation semantics).
    public func accumulate(_ g: Tensor) {
        GradMode.noGrad {
            guard let old = grad else {
                grad = g.isContiguous ? g.detach() : g.contiguousCopy()
                return
            }
            precondition(old.shape == g.shape, "accumulate: gradient shape \(g.shape) != accumulated shape \(old.shape)")
            if old.dtype == .float32 && g.dtype == .float32 { grad = old + g; return }
            // Float64/half leaves (reached through `to(_:)`) accumulate in float32, then convert back.
            grad = (old.to(.float32) + g.to(.float32)).to(old.dtype)
        }
    }

    /// Releases a long chain of nodes iteratively: the default recursive release of `inputs`
    /// would use one stack frame per node and overflow on graphs thousands of ops deep.
    deinit {
        var pending = inputs
        inputs = []
        rule = nil
        while !pending.isEmpty {
            // Taken straight into `n` (no second binding) so the uniqueness check sees one reference.
            var n = pending.removeLast()
            if isKnownUniquelyReferenced(&n), let node = n {
                pending.append(contentsOf: node.inputs)
                node.inputs = []
                // The rule's captures hold the same input nodes, which `pending` now also holds,
                // so dropping it here cannot start a recursive release.
                node.rule = nil
            }
        }
    }

    /// Clears this leaf's gradient.
    public func zeroGrad() { grad = nil }
}

/// Whether operations record autodiff history on the current thread (task-local, never global).
public enum GradMode {
    @TaskLocal static var enabledLocal: Bool = true

    /// True unless inside `noGrad`.
    public static var isEnabled: Bool { enabledLocal }

    /// Runs `body` without recording history (like `torch.no_grad()`).
    public static func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $enabledLocal.withValue(false) { try body() }
    }
}

extension Tensor {
    /// Whether gradients flow to (or through) this tensor. Setting true makes it a leaf.
    public var requiresGrad: Bool {
        get { node != nil }
        set {
            if newValue {
                precondition(dtype.isFloatingPoint, "requiresGrad: only floating tensors can require gradients, got \(dtype)")
                if node == nil || !(node!.isLeaf) { node = GradNode(leaf: ()) }
            } else { node = nil }
        }
    }

    /// The accumulated gradient of a leaf tensor, if any.
    public var grad: Tensor? { node?.isLeaf == true ? node?.grad : nil }

    /// The autodiff node (leaf for parameters), exposed so owners can reset gradients.
    public var gradNode: GradNode? { node }

    /// Same values, no history.
    public func detach() -> Tensor {
        var t = self
        t.node = nil
        return t
    }

    /// Attaches a backward rule to an op result when any input requires gradients.
    public static func record(_ op: String, _ result: Tensor, inputs: [Tensor],
                              rule: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return result }
        var r = result
        r.node = GradNode(op: op, inputs: inputs.map { $0.node }, rule: rule)
        return r
    }

    /// Back-propagates from this scalar (or with an explicit output gradient) into every leaf, then
    /// frees the graph unless `retainGraph` (torch's `retain_graph=True`) asks to keep it.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
        guard let root = node else {
            preconditionFailure("backward: tensor of shape \(shape) does not require grad (no leaf in its history)")
        }
        precondition(!root.freed, "backward: the graph of this \(root.op) result was freed by an earlier backward(); "
                     + "pass retainGraph: true to that call to back-propagate twice")
        let seed: Tensor
        if let gradient {
            precondition(gradient.shape == shape, "backward: gradient shape \(gradient.shape) != tensor shape \(shape)")
            seed = gradient.detach()
        } else {
            precondition(count == 1, "backward: implicit gradient needs a scalar, got shape \(shape)")
            seed = Tensor(repeating: 1, shape: shape)
        }
        // Iterative DFS for a topological order: deep graphs must not exhaust the stack.
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (n, i) = stack.popLast() {
            precondition(!n.freed, "backward: this graph goes through a \(n.op) result whose graph an earlier "
                         + "backward() freed; pass retainGraph: true to that call to back-propagate twice")
            if i < n.inputs.count {
                stack.append((n, i + 1))
                if let c = n.inputs[i], visited.insert(ObjectIdentifier(c)).inserted { stack.append((c, 0)) }
            } else {
                order.append(n)
            }
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        GradMode.noGrad {
            for n in order.reversed() {
                guard let g = grads.removeValue(forKey: ObjectIdentifier(n)) else { continue }
                guard let rule = n.rule else { n.accumulate(g); continue }
                let inGrads = rule(g)
                for (c, ig) in zip(n.inputs, inGrads) {
                    guard let c, let ig else { continue }
                    let k = ObjectIdentifier(c)
                    if let old = grads[k] { grads[k] = old + ig } else { grads[k] = ig }
                }
                // Freed as soon as used, so activations go while the backward pass is still running.
                if !retainGraph { n.release() }
            }
        }
        if !retainGraph { for n in order { n.release() } }
    }
}
