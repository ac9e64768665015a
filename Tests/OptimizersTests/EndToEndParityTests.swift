import XCTest
import CairnTestSupport
import NN
import Optimizers
import TensorCore

/// The brief's end-to-end proof (llm.c style): the MLP and CNN, started from the same weights and
/// fed the same 50 batches with Adam, track PyTorch's loss curve (`Tests/Fixtures/e2e`).
final class EndToEndParityTests: XCTestCase {
    func testHashMatchesPython() throws {
        let f = try loadFixture("e2e/hash.safetensors")
        let inputs = f.tensors["splitmix64.input"]!.toInt64Array().map { UInt64(bitPattern: $0) }
        let outputs = f.tensors["splitmix64.output"]!.toInt64Array().map { UInt64(bitPattern: $0) }
        XCTAssertEqual(inputs.map(CairnHash.splitmix64), outputs)
        XCTAssertEqual(CairnHash.units(1000, count: 16), f.tensors["unit.seed1000"]!.toArray())
        XCTAssertEqual((0..<16).map { Int64(CairnHash.label(5000, UInt64($0), classes: 10)) },
                       f.tensors["label.seed5000.classes10"]!.toInt64Array())
    }

    /// Overwrites every Linear/Conv2d parameter with the hashed initialization of the fixture.
    private func hashInit(_ model: Sequential) {
        for (i, layer) in model.layers.enumerated() {
            let params = layer.namedParameters()
            guard let w = params.first(where: { $0.0 == "weight" })?.1 else { continue }
            let fanIn = w.value.shape.dropFirst().reduce(1, *)
            let scale = Float(1.0 / Double(fanIn).squareRoot())
            w.value = Tensor(CairnHash.units(UInt64(100 + 2 * i), count: w.value.count).map { $0 * scale }, shape: w.value.shape)
            if let b = params.first(where: { $0.0 == "bias" })?.1 {
                b.value = Tensor(CairnHash.units(UInt64(101 + 2 * i), count: b.value.count).map { $0 * scale }, shape: b.value.shape)
            }
        }
    }

    /// A float64 scalar fixture read without rounding through float32.
    private func double(_ t: Tensor) -> Double {
        t.storage.base.load(fromByteOffset: t.layout.offset * 8, as: Double.self)
    }

    private func stats(_ t: Tensor) -> (Double, Double) {
        let v = t.toArray().map(Double.init)
        return (v.reduce(0, +), v.reduce(0) { $0 + $1 * $1 })
    }

    private func run(_ name: String, model: Sequential, inputShape: [Int], batch: Int) throws {
        let f = try loadFixture("e2e/\(name).safetensors")
        hashInit(model)
        for (key, p) in model.namedParameters() {
            let (s, s2) = stats(p.value)
            XCTAssertEqual(s, double(f.tensors["init_stat.\(key).sum"]!), accuracy: 1e-6 * max(1, abs(s)), "\(name) init \(key)")
            XCTAssertEqual(s2, double(f.tensors["init_stat.\(key).sumsq"]!), accuracy: 1e-5 * max(1, s2), "\(name) init \(key)")
        }
        let optimizer = Adam(model.namedParameters(), lr: 1e-3)
        let expected = f.tensors["loss"]!.toArray()
        var losses: [Float] = []
        let perSample = inputShape.reduce(1, *)
        for s in 0..<50 {
            let x = Tensor(CairnHash.units(UInt64(1000 + s), count: batch * perSample), shape: [batch] + inputShape)
            let y = Tensor(indices: (0..<batch).map { CairnHash.label(UInt64(5000 + s), UInt64($0), classes: 10) })
            optimizer.zeroGrad()
            let loss = Loss.crossEntropy(model(x), y)
            losses.append(loss.item)
            loss.backward()
            optimizer.step()
        }
        assertClose(losses, expected, rtol: 0, atol: 1e-4, "\(name) loss curve")
        XCTAssertEqual(losses[0], expected[0], accuracy: 1e-6, "\(name) first loss")
        // Adam divides by √v, so a weight whose gradient is ~0 can move by up to lr per step on
        // float-rounding noise alone: final weights are compared at the scale of 2·lr, the loss
        // curve (the brief's criterion) at 1e-4.
        let params = Dictionary(uniqueKeysWithValues: model.namedParameters())
        for (key, t) in f.tensors where key.hasPrefix("param.") {
            assertClose(params[String(key.dropFirst(6))]!.value, t, rtol: 1e-3, atol: 2e-3, "\(name) final \(key)")
        }
        for (key, p) in params {
            let (s, s2) = stats(p.value)
            XCTAssertEqual(s2, double(f.tensors["stat.\(key).sumsq"]!), accuracy: 1e-3 * max(1, s2), "\(name) final Σv² of \(key)")
            XCTAssertEqual(s, double(f.tensors["stat.\(key).sum"]!), accuracy: 2e-3 * Double(p.value.count).squareRoot(), "\(name) final Σv of \(key)")
        }
    }

    func testMLPTracksPyTorch() throws {
        var rng = RandomGenerator(seed: 0)
        let model = Sequential(Linear(784, 512, rng: &rng), ReLU(), Linear(512, 512, rng: &rng), ReLU(), Linear(512, 10, rng: &rng))
        try run("mlp", model: model, inputShape: [784], batch: 128)
    }

    func testCNNTracksPyTorch() throws {
        var rng = RandomGenerator(seed: 0)
        let model = Sequential(
            Conv2d(1, 16, kernelSize: 5, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(16, 32, kernelSize: 5, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(), Linear(512, 10, rng: &rng))
        try run("cnn", model: model, inputShape: [1, 28, 28], batch: 64)
    }
}
