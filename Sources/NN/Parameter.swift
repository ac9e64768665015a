import TensorCore

/// A trainable tensor owned by a module; a reference, so optimizers update it in place by name.
public final class Parameter: @unchecked Sendable {
    /// The current value, always a leaf (its gradient accumulates in `grad`).
    public var value: Tensor {
        didSet { if !updatingInPlace { value = Parameter.leaf(value, requiresGrad: requiresGrad) } }
    }

    /// Set during `update` so the in-place write keeps the leaf node (and its gradient).
    private var updatingInPlace = false

    /// Whether backward computes a gradient for this parameter (false = frozen).
    public var requiresGrad: Bool {
        didSet { if oldValue != requiresGrad { value = Parameter.leaf(value, requiresGrad: requiresGrad) } }
    }

    /// Wraps an initial value.
    public init(_ value: Tensor, requiresGrad: Bool = true) {
        self.requiresGrad = requiresGrad
        self.value = Parameter.leaf(value, requiresGrad: requiresGrad)
    }

    private static func leaf(_ t: Tensor, requiresGrad: Bool) -> Tensor {
        var v = t.detach()
        if requiresGrad { v.requiresGrad = true }
        return v
    }

    /// Gradient accumulated by the last backward passes, if any.
    public var grad: Tensor? { value.grad }

    /// Forgets the accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() { value.gradNode?.zeroGrad() }

    /// Replaces the accumulated gradient (used by clipping and by tests).
    public func setGrad(_ g: Tensor?) {
        guard let node = value.gradNode else { return }
        node.zeroGrad()
        if let g { node.accumulate(g) }
    }

    /// Updates the value in place, keeping the leaf (and so its gradient slot) intact.
    public func update(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        updatingInPlace = true
        defer { updatingInPlace = false }
        value.withMutableFloats(body)
    }
}

/// A non-trainable tensor owned by a module (running statistics, counters).
public final class Buffer: @unchecked Sendable {
    /// Current value.
    public var value: Tensor
    /// Whether it belongs in the state dict (PyTorch's `persistent`).
    public let persistent: Bool

    /// Wraps an initial value.
    public init(_ value: Tensor, persistent: Bool = true) {
        self.value = value.detach()
        self.persistent = persistent
    }
}

/// Something reflection recognises as a module's parameter or buffer slot.
protocol TensorSlot {
    var key: String? { get }
    var parameter: Parameter? { get }
    var buffer: Buffer? { get }
}

/// Declares a module parameter: `@Param var weight: Tensor`. The key defaults to the property name.
@propertyWrapper
public struct Param: TensorSlot {
    /// The shared parameter object.
    public let projectedValue: Parameter
    let key: String?
    var parameter: Parameter? { projectedValue }
    var buffer: Buffer? { nil }

    /// Registers `wrappedValue` as a parameter, optionally under a PyTorch key differing from the property name.
    public init(wrappedValue: Tensor, key: String? = nil) {
        projectedValue = Parameter(wrappedValue)
        self.key = key
    }

    /// The parameter's current value.
    public var wrappedValue: Tensor {
        get { projectedValue.value }
        nonmutating set { projectedValue.value = newValue }
    }
}

/// Holder for a parameter that may be absent (e.g. `bias=False`).
public final class OptionalParameterBox: @unchecked Sendable {
    var parameter: Parameter?
    init(_ p: Parameter?) { parameter = p }
}

/// Declares an optional parameter: `@OptionalParam var bias: Tensor?` (absent → no state-dict key).
@propertyWrapper
public struct OptionalParam: TensorSlot {
    let box: OptionalParameterBox
    let key: String?
    var parameter: Parameter? { box.parameter }
    var buffer: Buffer? { nil }

    /// Registers `wrappedValue` (or nothing when nil).
    public init(wrappedValue: Tensor?, key: String? = nil) {
        box = OptionalParameterBox(wrappedValue.map { Parameter($0) })
        self.key = key
    }

    /// The parameter object, when present.
    public var projectedValue: Parameter? { box.parameter }

    /// The parameter's current value, when present.
    public var wrappedValue: Tensor? {
        get { box.parameter?.value }
        nonmutating set {
            if let v = newValue {
                if let p = box.parameter { p.value = v } else { box.parameter = Parameter(v) }
            } else { box.parameter = nil }
        }
    }
}

/// Declares a module buffer: `@BufferSlot(key: "running_mean") var runningMean: Tensor`.
@propertyWrapper
public struct BufferSlot: TensorSlot {
    /// The shared buffer object.
    public let projectedValue: Buffer
    let key: String?
    var parameter: Parameter? { nil }
    var buffer: Buffer? { projectedValue }

    /// Registers `wrappedValue` as a buffer.
    public init(wrappedValue: Tensor, key: String? = nil, persistent: Bool = true) {
        projectedValue = Buffer(wrappedValue, persistent: persistent)
        self.key = key
    }

    /// The buffer's current value.
    public var wrappedValue: Tensor {
        get { projectedValue.value }
        nonmutating set { projectedValue.value = newValue }
    }
}

/// Declares an optional buffer (e.g. running stats absent when `track_running_stats=False`).
@propertyWrapper
public struct OptionalBufferSlot: TensorSlot {
    let box: OptionalBufferBox
    let key: String?
    var parameter: Parameter? { nil }
    var buffer: Buffer? { box.buffer }

    /// Registers `wrappedValue` (or nothing when nil).
    public init(wrappedValue: Tensor?, key: String? = nil) {
        box = OptionalBufferBox(wrappedValue.map { Buffer($0) })
        self.key = key
    }

    /// The buffer's current value, when present.
    public var wrappedValue: Tensor? {
        get { box.buffer?.value }
        nonmutating set {
            if let v = newValue {
                if let b = box.buffer { b.value = v } else { box.buffer = Buffer(v) }
            } else { box.buffer = nil }
        }
    }
}

/// Holder for a buffer that may be absent.
public final class OptionalBufferBox: @unchecked Sendable {
    var buffer: Buffer?
    init(_ b: Buffer?) { buffer = b }
}
