import TensorCore

/// A seeded random transformation of one [C, H, W] example, applied before normalization.
///
/// Randomness comes only from the generator passed in; the loader gives example `index` of source
/// `source` in `epoch` its own generator (`Augmentation.generator`), so an example's augmentation
/// depends on (seed, epoch, source, index) alone — not on batch composition, prefetch timing or
/// where a run was resumed.
public enum Augmentation: Codable, Equatable, Hashable, Sendable {
    /// torchvision's `RandomCrop(size, padding)`: zero-pad every side by `padding`, then crop a
    /// `size`×`size` window whose top and left are drawn (in that order) uniformly from all positions.
    case randomCrop(size: Int, padding: Int)
    /// torchvision's `RandomHorizontalFlip(p)`: mirror left-right when a uniform [0, 1) draw is below `probability`.
    case horizontalFlip(probability: Float)

    /// The generator for one example: the "augment" stream of `seed`, positioned at Philox counter
    /// (hi: epoch, lo: source << 60 | index << 16), i.e. 2^16 blocks (2^18 draws) per example.
    public static func generator(seed: UInt64, epoch: Int, source: Int = 0, index: Int) -> RandomGenerator {
        precondition(epoch >= 0 && (0..<16).contains(source) && index >= 0 && index < 1 << 44,
                     "Augmentation.generator: epoch \(epoch), source \(source), index \(index) out of range")
        var g = RandomGenerator(seed: seed, stream: RNGStreams.streamID(RNGStreams.augment))
        g.counter = (hi: UInt64(epoch), lo: UInt64(source) << 60 | UInt64(index) << 16)
        return g
    }

    /// The [C, H, W] shape after this augmentation.
    public func outputShape(_ shape: [Int]) -> [Int] {
        switch self {
        case let .randomCrop(size, _): return [shape[0], size, size]
        case .horizontalFlip: return shape
        }
    }

    /// Checks that the augmentation fits an input of `shape` ([C, H, W]).
    func validate(_ shape: [Int]) throws {
        guard shape.count == 3 else {
            throw DataError.invalidConfig("augmentation \(self) needs [C, H, W] examples, got shape \(shape)")
        }
        switch self {
        case let .randomCrop(size, padding):
            guard size > 0, padding >= 0, size <= shape[1] + 2 * padding, size <= shape[2] + 2 * padding else {
                throw DataError.invalidConfig("randomCrop size \(size) padding \(padding) does not fit \(shape[1])x\(shape[2]) images")
            }
        case let .horizontalFlip(p):
            guard p >= 0 && p <= 1 else { throw DataError.invalidConfig("horizontalFlip probability \(p) is not in [0, 1]") }
        }
    }

    /// Applies `augmentations` in order to one [C, H, W] example.
    public static func apply(_ augmentations: [Augmentation], to input: Tensor, generator: inout RandomGenerator) -> Tensor {
        precondition(input.rank == 3, "Augmentation.apply: expected a [C, H, W] tensor, got shape \(input.shape)")
        let outShape = augmentations.reduce(input.shape) { $1.outputShape($0) }
        var src = input.contiguousCopy()
        var out = Tensor(zeros: outShape)
        src.withMutableFloats { s in
            out.withMutableFloats { o in
                applyAll(augmentations, from: UnsafePointer(s.baseAddress!), shape: input.shape, into: o.baseAddress!,
                         generator: &generator)
            }
        }
        return out
    }

    /// Applies `augmentations` to `src` (shape [C, H, W]) writing the result to `dst`; `src` is not modified.
    static func applyAll(_ augmentations: [Augmentation], from src: UnsafePointer<Float>, shape: [Int],
                         into dst: UnsafeMutablePointer<Float>, generator: inout RandomGenerator) {
        var shape = shape
        var current = UnsafeMutablePointer<Float>.allocate(capacity: max(shape.reduce(1, *), 1))
        current.update(from: src, count: shape.reduce(1, *))
        for aug in augmentations {
            let next = aug.outputShape(shape)
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(next.reduce(1, *), 1))
            aug.apply(from: current, shape: shape, into: buffer, generator: &generator)
            current.deallocate()
            current = buffer
            shape = next
        }
        dst.update(from: current, count: shape.reduce(1, *))
        current.deallocate()
    }

    /// Writes this augmentation of `src` (shape [C, H, W]) to `dst` (shape `outputShape(shape)`).
    func apply(from src: UnsafePointer<Float>, shape: [Int], into dst: UnsafeMutablePointer<Float>,
               generator g: inout RandomGenerator) {
        let c = shape[0], h = shape[1], w = shape[2]
        switch self {
        case let .randomCrop(size, padding):
            let top = g.nextInt(below: h + 2 * padding - size + 1)
            let left = g.nextInt(below: w + 2 * padding - size + 1)
            for ch in 0..<c {
                let plane = src + ch * h * w
                let out = dst + ch * size * size
                for y in 0..<size {
                    let sy = top + y - padding
                    let row = out + y * size
                    if sy < 0 || sy >= h {
                        row.update(repeating: 0, count: size)
                        continue
                    }
                    for x in 0..<size {
                        let sx = left + x - padding
                        row[x] = sx >= 0 && sx < w ? plane[sy * w + sx] : 0
                    }
                }
            }
        case let .horizontalFlip(p):
            let flip = g.nextFloat() < p
            for ch in 0..<c {
                for y in 0..<h {
                    let row = src + (ch * h + y) * w, out = dst + (ch * h + y) * w
                    if flip {
                        for x in 0..<w { out[x] = row[w - 1 - x] }
                    } else {
                        out.update(from: row, count: w)
                    }
                }
            }
        }
    }
}
