import TensorCore

/// Applies layers in order; children are keyed "0", "1", ... like `torch.nn.Sequential`.
public final class Sequential: Module, CustomChildren, @unchecked Sendable {
    /// The layers, in order.
    public private(set) var layers: [Module]

    /// A sequence of layers.
    public init(_ layers: [Module]) {
        self.layers = layers
        super.init()
    }

    /// A sequence of layers (variadic).
    public convenience init(_ layers: Module...) { self.init(layers) }

    /// Children keyed by index.
    public var childModules: [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }

    /// Replaces layer `index` (e.g. a new classification head).
    public func replace(at index: Int, with layer: Module) {
        precondition(layers.indices.contains(index), "Sequential.replace: index \(index) out of range 0..<\(layers.count)")
        layers[index] = layer
    }

    /// Appends a layer.
    public func append(_ layer: Module) { layers.append(layer) }

    /// Layer `i`.
    public subscript(i: Int) -> Module { layers[i] }

    /// Number of layers.
    public var count: Int { layers.count }

    /// Runs every layer in order.
    public override func forward(_ x: Tensor) -> Tensor {
        var h = x
        for l in layers { h = l(h) }
        return h
    }
}
