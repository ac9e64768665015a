import TensorCore

/// A lookup table of `numEmbeddings` vectors of size `embeddingDim`, like `torch.nn.Embedding`.
///
/// Key `weight` [num, dim], initialized N(0, 1). The row at `paddingIdx` starts at zero and never
/// receives a gradient, so it stays whatever it is.
public final class Embedding: Module, @unchecked Sendable {
    /// Rows in the table.
    public let numEmbeddings: Int
    /// Size of each vector.
    public let embeddingDim: Int
    /// The row that gets no gradient (normalized to 0..<numEmbeddings, like PyTorch), if any.
    public let paddingIdx: Int?
    /// The table [num, dim].
    @Param public var weight: Tensor

    /// Initializes like PyTorch: N(0, 1) drawn from `rng`, then the padding row zeroed. A negative
    /// `paddingIdx` counts from the end.
    public init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, rng: inout RandomGenerator) {
        precondition(numEmbeddings > 0 && embeddingDim > 0,
                     "Embedding: num_embeddings \(numEmbeddings) and embedding_dim \(embeddingDim) must be positive")
        let pad = Embedding.normalize(paddingIdx, numEmbeddings)
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = pad
        var w = Init.normal([numEmbeddings, embeddingDim], rng: &rng)
        if let pad { w.withMutableFloats { p in for j in 0..<embeddingDim { p[pad * embeddingDim + j] = 0 } } }
        _weight = Param(wrappedValue: w)
        super.init()
    }

    /// Wraps a given table (e.g. pretrained vectors); the padding row is left as given.
    public init(weight: Tensor, paddingIdx: Int? = nil) {
        precondition(weight.rank == 2, "Embedding: weight must be [num_embeddings, embedding_dim], got \(weight.shape)")
        numEmbeddings = weight.shape[0]
        embeddingDim = weight.shape[1]
        self.paddingIdx = Embedding.normalize(paddingIdx, weight.shape[0])
        _weight = Param(wrappedValue: weight)
        super.init()
    }

    private static func normalize(_ idx: Int?, _ n: Int) -> Int? {
        guard let idx else { return nil }
        precondition(idx >= -n && idx < n, "Embedding: padding_idx \(idx) must be within num_embeddings \(n)")
        return idx < 0 ? idx + n : idx
    }

    /// Looks up integer indices of any shape; the result has shape `indices.shape + [embeddingDim]`.
    public override func forward(_ indices: Tensor) -> Tensor {
        precondition(!indices.dtype.isFloatingPoint,
                     "Embedding: indices must be an integer tensor, got \(indices.dtype) of shape \(indices.shape)")
        let idx = indices.toInt64Array().map(Int.init)
        let num = numEmbeddings, dim = embeddingDim
        for i in idx {
            precondition(i >= 0 && i < num, "Embedding(\(num), \(dim)): index \(i) out of range 0..<\(num) in input of shape \(indices.shape)")
        }
        let w = weight
        let y = w.detach().withFloats { pw in
            Tensor.filled(indices.shape + [dim]) { o in
                for (k, i) in idx.enumerated() { (o + k * dim).update(from: pw + i * dim, count: dim) }
            }
        }
        let pad = paddingIdx
        return Tensor.record("embedding", y, inputs: [w]) { g in
            var dw = Tensor(zeros: [num, dim])
            g.contiguous().withFloats { pg in
                dw.withMutableFloats { p in
                    for (k, i) in idx.enumerated() where i != pad {
                        for j in 0..<dim { p[i * dim + j] += pg[k * dim + j] }
                    }
                }
            }
            return [dw]
        }
    }

    /// PyTorch's class name.
    public override var typeName: String { "Embedding" }

    /// `10, 4, padding_idx=0` as PyTorch prints it.
    public override var extraDescription: String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}
