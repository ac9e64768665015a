import TensorCore

/// What loading one example produced: its label, or a warning when a bad file was skipped.
public enum ExampleLoad: Equatable, Sendable {
    /// The input was written; this is its class index.
    case loaded(label: Int)
    /// The input was unusable and skipped (`onBadImage: .skip`); nothing meaningful was written.
    case skipped(DataError)
}

/// A finite, indexable collection of (input, label) examples of one fixed input shape.
///
/// Loading is split in two so a loader can augment in between, in torchvision's order:
/// `load` writes the input scaled but unnormalized (images in [0, 1]), augmentations pad/crop/flip
/// that, and `normalize` applies the dataset's mean/std (if it has one) last. Implementations
/// must be safe to call from several threads at once (the loader decodes in the background).
public protocol Dataset: Sendable {
    /// Number of examples.
    var count: Int { get }
    /// Shape of one input, e.g. [C, H, W] for images or [features] for CSV rows.
    var exampleShape: [Int] { get }
    /// A stable hash of what the examples are (files, labels, order), saved in loader positions.
    var fingerprint: UInt64 { get }
    /// Writes example `index`'s unnormalized input into `destination` (exactly `exampleShape` elements).
    func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>) throws -> ExampleLoad
    /// Applies the dataset's normalization, if any, to a loaded (and possibly augmented) input of example `index`.
    func normalize(_ values: UnsafeMutableBufferPointer<Float>, at index: Int)
}

extension Dataset {
    /// No normalization.
    public func normalize(_ values: UnsafeMutableBufferPointer<Float>, at index: Int) {}

    /// Number of elements in one input.
    public var exampleElementCount: Int { exampleShape.reduce(1, *) }

    /// Example `index`, loaded and normalized (no augmentation); a skipped file throws its error.
    public func example(at index: Int) throws -> (input: Tensor, label: Int) {
        precondition(index >= 0 && index < count, "Dataset.example(at:): index \(index) out of range 0..<\(count)")
        var t = Tensor(zeros: exampleShape)
        let outcome = try t.withMutableFloats { buffer -> ExampleLoad in
            let r = try load(index, into: buffer)
            if case .loaded = r { normalize(buffer, at: index) }
            return r
        }
        switch outcome {
        case let .loaded(label):
            return (t, label)
        case let .skipped(error):
            throw error
        }
    }
}
