import Foundation
import XCTest
import TensorCore
import NN
@testable import Checkpoint
import CairnTestSupport

final class ModelFileTests: XCTestCase {
    private let spec = ModelSpec(inputShape: [1, 8, 8], layers: [
        .conv2d(outChannels: 4, kernelSize: 3, padding: 1),
        .batchNorm2d(),
        .relu,
        .maxPool2d(kernelSize: 2),
        .flatten(),
        .dropout(p: 0.1),
        .linear(outFeatures: 10),
        .layerNorm(),
        .gelu(approximate: "tanh"),
        .linear(outFeatures: 3),
        .softmax(dim: -1),
    ])

    func testExportThenLoadFromTheFileAloneGivesTheSameOutputs() throws {
        var rng = RandomGenerator(seed: 3)
        let model = try spec.build(rng: &rng)
        // Train BatchNorm statistics a little so buffers differ from their initial values.
        for s in 0..<2 { _ = model(testTensor([4, 1, 8, 8], seed: UInt64(s))) }
        model.eval()
        let url = try makeTempDirectory(self).appendingPathComponent("model.safetensors")
        try ModelFile.export(model: model, spec: spec, to: url, fsync: false)

        XCTAssertEqual(try ModelFile.readSpec(url), spec)
        let (loaded, loadedSpec) = try ModelFile.load(url)
        XCTAssertEqual(loadedSpec, spec)
        loaded.eval()
        assertBitExact(loaded.stateDict(), model.stateDict())
        let x = testTensor([2, 1, 8, 8], seed: 77)
        XCTAssertEqual(bits(loaded(x)), bits(model(x)))
        // It is an ordinary PyTorch-keyed safetensors file.
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(Set(file.names), Set(model.stateDict().keys))
        XCTAssertEqual(file.metadata?["format"], "pt")
    }

    func testExportRejectsAModelThatDoesNotMatchItsSpec() throws {
        var rng = RandomGenerator(seed: 3)
        let other = Sequential(Linear(64, 10, rng: &rng))
        let url = try makeTempDirectory(self).appendingPathComponent("m.safetensors")
        XCTAssertThrowsError(try ModelFile.export(model: other, spec: spec, to: url, fsync: false)) { e in
            XCTAssertTrue("\(e)".contains("does not match its spec"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    func testAFileWithoutSpecOrWithABadSpecIsATypedError() throws {
        let dir = try makeTempDirectory(self)
        let plain = dir.appendingPathComponent("plain.safetensors")
        try Safetensors.write(["w": Tensor.ones([2])], to: plain, fsync: false)
        XCTAssertThrowsError(try ModelFile.load(plain)) { e in
            guard case let .badJSON(_, key, _)? = e as? CheckpointError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "__metadata__.cairn.model_spec")
        }
        let bad = dir.appendingPathComponent("bad.safetensors")
        let json = #"{"input_shape":[4],"layers":[{"type":"relu"},{"type":"linear","out_feature":3}]}"#
        try Safetensors.write(["w": Tensor.ones([2])], metadata: [ModelFile.specKey: json], to: bad, fsync: false)
        XCTAssertThrowsError(try ModelFile.load(bad)) { e in
            guard case let .badJSON(_, key, reason)? = e as? CheckpointError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "__metadata__.cairn.model_spec.layers[1].out_feature")
            XCTAssertTrue(reason.contains("unknown argument 'out_feature'"), reason)
        }
    }
}
