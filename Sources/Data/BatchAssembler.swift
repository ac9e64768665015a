import TensorCore

/// Builds one batch from example references: loads each example straight into the batch's
/// storage, augments it with its own (seed, epoch, source, index) generator, then normalizes.
/// A pure function of its inputs, so batches are identical whichever thread builds them, and when.
struct BatchAssembler: @unchecked Sendable {
    /// Source datasets, indexed by `ExampleRef.source`.
    let sources: [any Dataset]
    /// Augmentations applied in order.
    let augmentations: [Augmentation]
    /// Seed of the augment stream.
    let seed: UInt64
    /// Shape of a loaded example.
    let inShape: [Int]
    /// Shape of an example after augmentation.
    let outShape: [Int]

    init(sources: [any Dataset], augmentations: [Augmentation], seed: UInt64) throws {
        let shape = sources[0].exampleShape
        for (i, s) in sources.enumerated() where s.exampleShape != shape {
            throw DataError.invalidConfig("dataset \(i) has example shape \(s.exampleShape), dataset 0 has \(shape)")
        }
        var augmented = shape
        for a in augmentations {
            try a.validate(augmented)
            augmented = a.outputShape(augmented)
        }
        self.sources = sources
        self.augmentations = augmentations
        self.seed = seed
        inShape = shape
        outShape = augmented
    }

    /// Batch `b` of `plan`; skipped files shrink the batch and are listed in its warnings.
    func assemble(_ plan: EpochPlan, batch b: Int) throws -> Batch {
        let refs = plan.batch(b)
        let inCount = inShape.reduce(1, *), outCount = outShape.reduce(1, *)
        let storage = Storage(uninitialized: .float32, count: max(refs.count * outCount, 0))
        let base = storage.base.bindMemory(to: Float.self, capacity: max(refs.count * outCount, 1))
        let scratch: UnsafeMutablePointer<Float>? = augmentations.isEmpty ? nil : .allocate(capacity: max(inCount, 1))
        defer { scratch?.deallocate() }
        var labels: [Int64] = [], indices: [Int] = [], sourceIDs: [Int] = [], warnings: [DataWarning] = []
        labels.reserveCapacity(refs.count)
        indices.reserveCapacity(refs.count)
        sourceIDs.reserveCapacity(refs.count)
        for ref in refs {
            let slot = base + labels.count * outCount
            let dataset = sources[ref.source]
            let outcome = try dataset.load(ref.index, into: UnsafeMutableBufferPointer(start: scratch ?? slot, count: inCount))
            guard case let .loaded(label) = outcome else {
                if case let .skipped(error) = outcome { warnings.append(DataWarning(error)) }
                continue
            }
            if let scratch {
                var g = Augmentation.generator(seed: seed, epoch: plan.epoch, source: ref.source, index: ref.index)
                Augmentation.applyAll(augmentations, from: scratch, shape: inShape, into: slot, generator: &g)
            }
            dataset.normalize(UnsafeMutableBufferPointer(start: slot, count: outCount), at: ref.index)
            labels.append(Int64(label))
            indices.append(ref.index)
            sourceIDs.append(ref.source)
        }
        let inputs = Tensor(storage: storage, layout: Layout(shape: [labels.count] + outShape))
        return Batch(inputs: inputs, labels: Tensor(int64: labels, shape: [labels.count]), indices: indices,
                     sources: sourceIDs, epoch: plan.epoch, batchIndex: b, warnings: warnings)
    }
}
