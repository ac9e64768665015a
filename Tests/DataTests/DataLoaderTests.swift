import Foundation
import XCTest
import TensorCore
@testable import Data

final class DataLoaderTests: XCTestCase {
    /// `n` examples of shape [1, 4, 4]; example i holds i·100 + pixel, label i % 3.
    func numbered(_ n: Int) -> TensorDataset {
        let values = (0..<n).flatMap { i in (0..<16).map { Float(i * 100 + $0) } }
        return TensorDataset(inputs: Tensor(values, shape: [n, 1, 4, 4]), labels: (0..<n).map { $0 % 3 })
    }

    func epochIndices(_ loader: DataLoader) throws -> [[Int]] { try loader.remainingBatches().map(\.indices) }

    func testEveryIndexOncePerEpochWithShuffle() throws {
        let data = numbered(23)
        let loader = try DataLoader(dataset: data, config: .init(batchSize: 5, seed: 7))
        XCTAssertEqual(loader.batchesPerEpoch, 5)
        let batches = try loader.remainingBatches()
        XCTAssertEqual(batches.map(\.count), [5, 5, 5, 5, 3])
        let all = batches.flatMap(\.indices)
        XCTAssertEqual(all.sorted(), Array(0..<23))
        XCTAssertNotEqual(all, Array(0..<23))
        for b in batches {
            XCTAssertEqual(b.inputs.shape, [b.count, 1, 4, 4])
            XCTAssertEqual(b.labels.dtype, .int64)
            XCTAssertEqual(b.labelValues, b.indices.map { $0 % 3 })
            XCTAssertEqual(b.inputs.toArray(), b.indices.flatMap { i in (0..<16).map { Float(i * 100 + $0) } })
            XCTAssertEqual(b.sources, [Int](repeating: 0, count: b.count))
        }
        XCTAssertEqual(batches.map(\.batchIndex), [0, 1, 2, 3, 4])
        XCTAssertEqual(loader.position.epoch, 1)
        XCTAssertEqual(loader.position.batchIndex, 0)
    }

    func testEachEpochHasItsOwnPermutationAndItIsAPureFunction() throws {
        let data = numbered(40)
        let a = try DataLoader(dataset: data, config: .init(batchSize: 40, seed: 7))
        let e0 = try epochIndices(a), e1 = try epochIndices(a)
        XCTAssertNotEqual(e0, e1)
        XCTAssertEqual(e0[0], DefaultBatchSampler.permutation(count: 40, seed: 7, epoch: 0))
        let b = try DataLoader(dataset: data, config: .init(batchSize: 40, seed: 7))
        XCTAssertEqual(try epochIndices(b), e0)
        XCTAssertEqual(try epochIndices(b), e1)
        let c = try DataLoader(dataset: data, config: .init(batchSize: 40, seed: 8))
        XCTAssertNotEqual(try epochIndices(c), e0)
    }

    func testDropLastAndSequentialOrder() throws {
        let data = numbered(23)
        let drop = try DataLoader(dataset: data, config: .init(batchSize: 5, dropLast: true, seed: 1))
        XCTAssertEqual(drop.batchesPerEpoch, 4)
        let batches = try drop.remainingBatches()
        XCTAssertEqual(batches.map(\.count), [5, 5, 5, 5])
        XCTAssertEqual(Set(batches.flatMap(\.indices)).count, 20)
        let inOrder = try DataLoader(dataset: data, config: .init(batchSize: 10, shuffle: false))
        XCTAssertEqual(try epochIndices(inOrder), [Array(0..<10), Array(10..<20), Array(20..<23)])
    }

    func testEndOfEpochReturnsNilOnceThenStartsTheNextEpoch() throws {
        let loader = try DataLoader(dataset: numbered(4), config: .init(batchSize: 2, seed: 3))
        XCTAssertNotNil(try loader.next())
        XCTAssertNotNil(try loader.next())
        XCTAssertEqual(loader.position.epoch, 0)
        XCTAssertEqual(loader.position.batchIndex, 2)
        XCTAssertNil(try loader.next())
        XCTAssertEqual(loader.position.epoch, 1)
        XCTAssertEqual(loader.position.batchIndex, 0)
        XCTAssertEqual(try loader.next()?.epoch, 1)
    }

    /// Indices, labels and input values of each batch, comparable across loaders.
    func signature(_ batches: [Batch]) -> [[Float]] {
        batches.map { b in b.indices.map(Float.init) + b.labelValues.map(Float.init) + b.inputs.toArray() }
    }

    func testResumeFromJSONPositionYieldsExactlyTheRemainingBatches() throws {
        let data = numbered(30)
        let config = DataLoader.Config(batchSize: 4, seed: 11, augmentations: [.randomCrop(size: 4, padding: 1),
                                                                               .horizontalFlip(probability: 0.5)])
        let reference = try DataLoader(dataset: data, config: config)
        let epoch0 = try reference.remainingBatches(), epoch1 = try reference.remainingBatches()

        let first = try DataLoader(dataset: data, config: config)
        _ = try first.remainingBatches()
        _ = try first.next()
        _ = try first.next()
        _ = try first.next()
        let json = try JSONEncoder().encode(first.position)
        let saved = try JSONDecoder().decode(LoaderPosition.self, from: json)
        XCTAssertEqual(saved, first.position)
        XCTAssertEqual(saved.epoch, 1)
        XCTAssertEqual(saved.batchIndex, 3)

        let resumed = try DataLoader(dataset: data, config: .init(batchSize: 4, seed: 999, augmentations: config.augmentations))
        try resumed.restore(saved)
        XCTAssertEqual(resumed.position.seed, 11, "the saved seed is adopted")
        let rest = try resumed.remainingBatches()
        XCTAssertEqual(signature(rest), signature(Array(epoch1[3...])))
        XCTAssertEqual(rest.map(\.batchIndex), Array(3..<8))
        // The following epoch continues identically too.
        XCTAssertEqual(signature(try resumed.remainingBatches()), signature(try reference.remainingBatches()))
        XCTAssertNotEqual(signature(epoch0), signature(epoch1))
    }

    func testPrefetchAndWorkerCountDoNotChangeTheBatches() throws {
        let root = try makeTemporaryFolder(self)
        try ShapesDataset.draw(to: root, classes: ["circle", "square", "star"], perClass: 7, size: 12, seed: 4)
        let folder = try ImageFolder(root: root, config: .init(height: 10, width: 10,
                                                               normalization: .init(mean: [0.2], std: [0.3])))
        var results: [[[Float]]] = []
        for (prefetch, workers) in [(0, 1), (1, 1), (3, 2), (8, 4)] {
            let loader = try DataLoader(dataset: folder, config: .init(batchSize: 4, prefetch: prefetch, workers: workers, seed: 5,
                                                                       augmentations: [.randomCrop(size: 8, padding: 2),
                                                                                       .horizontalFlip(probability: 0.5)]))
            results.append(signature(try loader.remainingBatches() + loader.remainingBatches()))
        }
        XCTAssertEqual(results[0].count, 12)
        for r in results.dropFirst() { XCTAssertEqual(r, results[0]) }
    }

    func testAugmentationDependsOnExampleNotBatchPosition() throws {
        let data = numbered(12)
        let augs: [Augmentation] = [.randomCrop(size: 3, padding: 1), .horizontalFlip(probability: 0.5)]
        var byIndex: [[Int: [Float]]] = []
        for batchSize in [3, 5] {
            let loader = try DataLoader(dataset: data, config: .init(batchSize: batchSize, seed: 2, augmentations: augs))
            var seen: [Int: [Float]] = [:]
            for b in try loader.remainingBatches() {
                XCTAssertEqual(b.inputs.shape, [b.count, 1, 3, 3])
                let rows = b.inputs.toArray()
                for (r, i) in b.indices.enumerated() { seen[i] = Array(rows[(r * 9)..<(r * 9 + 9)]) }
            }
            byIndex.append(seen)
        }
        XCTAssertEqual(byIndex[0], byIndex[1])
        for i in 0..<12 {
            var g = Augmentation.generator(seed: 2, epoch: 0, index: i)
            XCTAssertEqual(Augmentation.apply(augs, to: try data.example(at: i).input, generator: &g).toArray(), byIndex[0][i])
        }
    }

    func testRestoreRejectsPositionsThatDoNotFit() throws {
        let loader = try DataLoader(dataset: numbered(10), config: .init(batchSize: 2, seed: 1))
        _ = try loader.next()
        let mid = loader.position

        let otherBatch = try DataLoader(dataset: numbered(10), config: .init(batchSize: 3, seed: 1))
        assertDataError("saved batch size is 2 but the loader has 3") { try otherBatch.restore(mid) }
        let bigger = try DataLoader(dataset: numbered(12), config: .init(batchSize: 2, seed: 1))
        assertDataError("saved dataset size is 10 but the loader has 12") { try bigger.restore(mid) }
        XCTAssertEqual(bigger.position.batchIndex, 0, "a failed restore leaves the loader unchanged")
        let changed = try DataLoader(dataset: TensorDataset(inputs: Tensor(zeros: [10, 1, 4, 4]), labels: [Int](repeating: 0, count: 10)),
                                     config: .init(batchSize: 2, seed: 1))
        assertDataError("saved dataset fingerprint is") { try changed.restore(mid) }

        // At an epoch boundary the data may have changed (a grown folder): accepted.
        var start = mid
        start.epoch = 4
        start.batchIndex = 0
        try bigger.restore(start)
        XCTAssertEqual(bigger.position.epoch, 4)
        XCTAssertEqual(bigger.position.datasetSize, 12)
        XCTAssertEqual(try bigger.remainingBatches().count, 6)
    }

    func testGrowingFolderIsPickedUpBetweenEpochs() throws {
        let root = try makeTemporaryFolder(self)
        try ShapesDataset.draw(to: root, classes: ["circle", "square"], perClass: 3, size: 8, seed: 6)
        var folder = try ImageFolder(root: root, config: .init(height: 8, width: 8))
        let loader = try DataLoader(dataset: folder, config: .init(batchSize: 4, seed: 1))
        XCTAssertNotNil(try loader.next())
        assertDataError("datasets can only be replaced between epochs") { try loader.replaceDataset(folder) }
        XCTAssertNotNil(try loader.next())
        // Used up but nil not yet returned: counts as the boundary.
        try ShapesDataset.draw(to: root, classes: ["triangle"], perClass: 4, size: 8, seed: 6)
        let report = try folder.rescan()
        XCTAssertEqual(report.addedClasses, ["triangle"])
        try loader.replaceDataset(folder)
        XCTAssertEqual(loader.position.epoch, 1)
        XCTAssertEqual(loader.position.datasetSize, 10)
        let batches = try loader.remainingBatches()
        XCTAssertEqual(batches.flatMap(\.indices).sorted(), Array(0..<10))
        XCTAssertEqual(Set(batches.flatMap(\.labelValues)), [0, 1, 2])
    }

    func testInvalidSettingsThrow() {
        assertDataError("batch size 0 must be positive") { _ = try DataLoader(dataset: numbered(3), config: .init(batchSize: 0)) }
        assertDataError("randomCrop size 9 padding 1 does not fit 4x4") {
            _ = try DataLoader(dataset: numbered(3), config: .init(batchSize: 1, augmentations: [.randomCrop(size: 9, padding: 1)]))
        }
        let flat = TensorDataset(inputs: Tensor(zeros: [3, 5]), labels: [0, 0, 0])
        assertDataError("needs [C, H, W] examples") {
            _ = try DataLoader(dataset: flat, config: .init(batchSize: 1, augmentations: [.horizontalFlip(probability: 0.5)]))
        }
    }

    func testConfigDecodesWithDefaults() throws {
        let c = try JSONDecoder().decode(DataLoader.Config.self, from: Foundation.Data(#"{"batchSize": 32, "dropLast": true}"#.utf8))
        XCTAssertEqual(c, DataLoader.Config(batchSize: 32, dropLast: true))
        XCTAssertTrue(c.shuffle)
        XCTAssertEqual(c.prefetch, 2)
    }
}
