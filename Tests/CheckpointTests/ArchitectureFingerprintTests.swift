import Foundation
import XCTest
import TensorCore
import NN
import Checkpoint

final class ArchitectureFingerprintTests: XCTestCase {
    func testEqualArchitecturesHaveEqualFingerprintsRegardlessOfValues() {
        let a = ArchitectureFingerprint(model: makeModel(seed: 1))
        let b = ArchitectureFingerprint(model: makeModel(seed: 2))
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.diff(b).isEmpty)
        XCTAssertEqual(a.digest.count, 64)
        XCTAssertEqual(a.entries.map(\.key), makeModel(seed: 1).stateDict().keys)
        XCTAssertEqual(a.entries.first { $0.key == "1.num_batches_tracked" }?.dtype, .int64)
        XCTAssertEqual(a.entries.first { $0.key == "1.running_mean" }?.isParameter, false)
        XCTAssertEqual(a.entries.first { $0.key == "0.weight" }?.isParameter, true)
        XCTAssertEqual(a.modules["1"], "BatchNorm1d")
    }

    func testDiffNamesChangedNewAndGoneLayers() {
        var rng = RandomGenerator(seed: 1)
        let old = Sequential(Linear(4, 8, rng: &rng), ReLU(), Linear(8, 3, rng: &rng), LayerNorm(3))
        let new = Sequential(Linear(4, 8, rng: &rng), ReLU(), Linear(8, 5, rng: &rng), Identity(), Linear(5, 2, rng: &rng))
        let d = ArchitectureFingerprint(model: old).diff(ArchitectureFingerprint(model: new))
        XCTAssertEqual(d.shapeChanged, [.init(key: "2.weight", old: [3, 8], new: [5, 8]), .init(key: "2.bias", old: [3], new: [5])])
        XCTAssertEqual(d.changedLayers, ["2"])
        XCTAssertEqual(d.added, ["4.weight", "4.bias"])
        XCTAssertEqual(d.newLayers, ["4"])
        XCTAssertEqual(d.removed, ["3.weight", "3.bias"])
        XCTAssertEqual(d.removedLayers, ["3"])
        XCTAssertEqual(d.typeChanged.map(\.path), ["3"])
        XCTAssertFalse(d.isEmpty)
        let text = d.description
        XCTAssertTrue(text.contains("~ 2.weight: shape [3, 8] → [5, 8]"), text)
        XCTAssertTrue(text.contains("+ 4.weight"), text)
        XCTAssertTrue(text.contains("- 3.bias"), text)
        XCTAssertTrue(text.contains("~ 3: LayerNorm → Identity"), text)
    }

    func testDTypeChangeAndCodableRoundTrip() throws {
        let sd = StateDict([("w", Tensor.ones([2, 2]))])
        var sd16 = sd
        sd16["w"] = Tensor.ones([2, 2]).to(.float16)
        let a = ArchitectureFingerprint(stateDict: sd), b = ArchitectureFingerprint(stateDict: sd16)
        XCTAssertNotEqual(a.digest, b.digest)
        XCTAssertEqual(a.diff(b).dtypeChanged, [.init(key: "w", old: .float32, new: .float16)])
        let back = try JSONDecoder().decode(ArchitectureFingerprint.self, from: JSONEncoder().encode(a))
        XCTAssertEqual(back, a)
    }
}
