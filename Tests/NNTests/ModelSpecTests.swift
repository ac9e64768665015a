import Foundation
import XCTest
import TensorCore
import NN

final class ModelSpecTests: XCTestCase {
    func testBuildInfersSizesFromTheInputShape() throws {
        let spec = ModelSpec(inputShape: [3, 16, 16], layers: [
            .conv2d(outChannels: 8, kernelSize: 3, stride: 1, padding: 1),
            .batchNorm2d(),
            .leakyRelu(negativeSlope: 0.2),
            .avgPool2d(kernelSize: 2),
            .conv2d(outChannels: 4, kernelSize: .init(3, 1), groups: 4, bias: false),
            .maxPool2d(kernelSize: 2, stride: 2, ceilMode: true),
            .adaptiveAvgPool2d(outputSize: .init(2, 3)),
            .flatten(),
            .linear(outFeatures: 6),
            .batchNorm1d(momentum: nil),
            .silu, .sigmoid, .tanh, .identity,
            .dropout(p: 0.2),
            .layerNorm(),
            .linear(outFeatures: 2, bias: false),
            .logSoftmax(dim: 1),
        ])
        XCTAssertEqual(try spec.outputShape(), [2])
        let shapes = try spec.shapes()
        XCTAssertEqual(shapes[4], [8, 8, 8])
        XCTAssertEqual(shapes[5], [4, 6, 8])
        XCTAssertEqual(shapes[6], [4, 3, 4])
        XCTAssertEqual(shapes[8], [24])
        var rng = RandomGenerator(seed: 1)
        let model = try spec.build(rng: &rng)
        XCTAssertEqual(model.count, spec.layers.count)
        let conv = model[4] as! Conv2d
        XCTAssertEqual(conv.inChannels, 8)
        XCTAssertEqual(conv.kernelSize.0, 3)
        XCTAssertEqual(conv.kernelSize.1, 1)
        XCTAssertNil(conv.bias)
        XCTAssertEqual((model[8] as! Linear).inFeatures, 24)
        XCTAssertEqual((model[9] as! BatchNorm1d).numFeatures, 6)
        XCTAssertNil((model[9] as! BatchNorm1d).momentum)
        XCTAssertEqual((model[15] as! LayerNorm).normalizedShape, [6])
        model.eval()
        let y = model(Tensor(repeating: 0.5, shape: [2, 3, 16, 16]))
        XCTAssertEqual(y.shape, [2, 2])
    }

    func testSameSeedBuildsTheSameWeightsAsHandWrittenLayers() throws {
        let spec = ModelSpec(inputShape: [5], layers: [.linear(outFeatures: 7), .relu, .linear(outFeatures: 2)])
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let built = try spec.build(rng: &a)
        let manual = Sequential(Linear(5, 7, rng: &b), ReLU(), Linear(7, 2, rng: &b))
        for ((k1, t1), (k2, t2)) in zip(built.stateDict(), manual.stateDict()) {
            XCTAssertEqual(k1, k2)
            XCTAssertEqual(t1.toArray(), t2.toArray())
        }
    }

    func testEmbeddingNeedsIntegerInput() throws {
        let ok = ModelSpec(inputShape: [6], inputDType: .int64, layers: [.embedding(numEmbeddings: 10, embeddingDim: 4), .flatten(), .linear(outFeatures: 3)])
        XCTAssertEqual(try ok.outputShape(), [3])
        XCTAssertEqual(try ok.shapes()[2], [24])
        let bad = ModelSpec(inputShape: [6], layers: [.linear(outFeatures: 4), .embedding(numEmbeddings: 10, embeddingDim: 4)])
        XCTAssertThrowsError(try bad.outputShape()) { e in
            guard case let .invalidLayer(index, kind, _, reason)? = e as? ModelSpecError else { return XCTFail("\(e)") }
            XCTAssertEqual(index, 1)
            XCTAssertEqual(kind, "embedding")
            XCTAssertTrue(reason.contains("int64"), reason)
        }
    }

    func testErrorsNameTheLayerIndex() {
        let cases: [(ModelSpec, Int, String)] = [
            (ModelSpec(inputShape: [10], layers: [.relu, .conv2d(outChannels: 3, kernelSize: 3)]), 1, "[C, H, W]"),
            (ModelSpec(inputShape: [1, 4, 4], layers: [.conv2d(outChannels: 2, kernelSize: 5)]), 0, "kernel does not fit"),
            (ModelSpec(inputShape: [3, 4, 4], layers: [.conv2d(outChannels: 4, kernelSize: 1, groups: 2)]), 0, "divisible by groups"),
            (ModelSpec(inputShape: [1, 4, 4], layers: [.maxPool2d(kernelSize: 2, padding: 2)]), 0, "half of kernel_size"),
            (ModelSpec(inputShape: [4], layers: [.batchNorm2d()]), 0, "[C, H, W]"),
            (ModelSpec(inputShape: [4], layers: [.flatten(startDim: 0)]), 0, "batch dimension"),
            (ModelSpec(inputShape: [4], layers: [.softmax(dim: 3)]), 0, "out of range"),
            (ModelSpec(inputShape: [4], layers: [.relu, .relu, .dropout(p: 1.5)]), 2, "p must be in [0, 1]"),
            (ModelSpec(inputShape: [4, 5], layers: [.layerNorm(normalizedShape: [4])]), 0, "not a suffix"),
            (ModelSpec(inputShape: [4], layers: [.gelu(approximate: "fast")]), 0, "approximate"),
        ]
        for (spec, index, needle) in cases {
            var rng = RandomGenerator(seed: 0)
            XCTAssertThrowsError(try spec.build(rng: &rng)) { e in
                guard case let .invalidLayer(i, _, _, reason)? = e as? ModelSpecError else { return XCTFail("\(e)") }
                XCTAssertEqual(i, index, "\(spec.layers)")
                XCTAssertTrue(reason.contains(needle), "'\(needle)' not in '\(reason)'")
                XCTAssertTrue("\(e)".contains("layers[\(index)]"))
            }
        }
        XCTAssertThrowsError(try ModelSpec(inputShape: [0, 3], layers: []).outputShape())
    }

    func testHugeSizesAreErrorsInsteadOfOverflowTraps() {
        let big = 1 << 62
        XCTAssertThrowsError(try ModelSpec(inputShape: [1, big, big], layers: [.flatten()]).outputShape()) { e in
            guard case .invalidInput? = e as? ModelSpecError else { return XCTFail("\(e)") }
        }
        let cases: [(ModelSpec, Int, String)] = [
            (ModelSpec(inputShape: [64], layers: [.linear(outFeatures: big)]), 0, "output shape"),
            (ModelSpec(inputShape: [1 << 20], layers: [.linear(outFeatures: 1 << 20)]), 0, "weight"),
            (ModelSpec(inputShape: [1, 8, 8], layers: [.conv2d(outChannels: 2, kernelSize: 3, dilation: ModelSpec.Size2(big, 1))]),
             0, "at most"),
            (ModelSpec(inputShape: [1, 8, 8], layers: [.maxPool2d(kernelSize: 2, stride: ModelSpec.Size2(big, big))]), 0, "at most"),
            (ModelSpec(inputShape: [1], inputDType: .int64, layers: [.embedding(numEmbeddings: big, embeddingDim: 4)]), 0, "weight"),
        ]
        for (spec, index, needle) in cases {
            XCTAssertThrowsError(try spec.shapes()) { e in
                guard case let .invalidLayer(i, _, _, reason)? = e as? ModelSpecError else { return XCTFail("\(e)") }
                XCTAssertEqual(i, index)
                XCTAssertTrue(reason.contains(needle), "'\(needle)' not in '\(reason)'")
            }
        }
    }

    func testJSONFormRoundTripsAndRejectsUnknownKeys() throws {
        let json = """
        {"input_shape": [1, 28, 28], "layers": [
          {"type": "conv2d", "out_channels": 8, "kernel_size": [3, 5], "padding": 1},
          {"type": "batchnorm2d", "momentum": null},
          {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2},
          {"type": "flatten"}, {"type": "linear", "out_features": 10, "bias": false},
          {"type": "softmax", "dim": 1}]}
        """
        let spec = try ModelSpec.decode(json: Data(json.utf8))
        XCTAssertEqual(spec.layers[0], .conv2d(outChannels: 8, kernelSize: .init(3, 5), padding: 1))
        XCTAssertEqual(spec.layers[1], .batchNorm2d(momentum: nil))
        XCTAssertEqual(spec.layers[5], .linear(outFeatures: 10, bias: false))
        XCTAssertEqual(try spec.outputShape(), [10])
        let again = try ModelSpec.decode(json: spec.jsonData())
        XCTAssertEqual(again, spec)

        for (text, path, needle) in [
            (#"{"input_shape":[4],"layers":[{"type":"relu"},{"type":"conv3d"}]}"#, "layers[1].type", "unknown layer type"),
            (#"{"input_shape":[4],"layers":[{"type":"linear","out_features":2,"bais":true}]}"#, "layers[0].bais", "unknown argument"),
            (#"{"input_shape":[4],"layers":[{"type":"linear"}]}"#, "layers[0].out_features", "missing"),
            (#"{"layers":[]}"#, "input_shape", "missing"),
        ] {
            XCTAssertThrowsError(try ModelSpec.decode(json: Data(text.utf8))) { e in
                guard case let .invalidJSON(p, reason)? = e as? ModelSpecError else { return XCTFail("\(e)") }
                XCTAssertEqual(p, path)
                XCTAssertTrue(reason.contains(needle), reason)
            }
        }
    }
}
