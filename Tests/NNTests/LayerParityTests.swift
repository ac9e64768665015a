import Foundation
import XCTest
import TensorCore
import CairnTestSupport
@testable import NN

/// Runs every PyTorch layer fixture (`Tests/Fixtures/layers/*.safetensors`, written by
/// `scripts/make_fixtures.py`) through the matching Cairn layer: the parameters and buffers load by
/// their PyTorch state-dict keys (strictly, so the key sets must agree), then the output, the
/// gradients of input and parameters for the stored upstream gradient, and the buffers after the
/// forward must match PyTorch to 1e-5 relative / 1e-6 absolute.
final class LayerParityTests: XCTestCase {
    private enum ConfigError: Error { case bad(String) }

    private func int(_ v: Any?, _ key: String) throws -> Int {
        guard let n = v as? NSNumber else { throw ConfigError.bad("\(key) is not a number: \(String(describing: v))") }
        return n.intValue
    }

    /// A PyTorch size argument: an int or a two-element list.
    private func pair(_ v: Any?, _ key: String) throws -> (Int, Int) {
        if let a = v as? [NSNumber], a.count == 2 { return (a[0].intValue, a[1].intValue) }
        let n = try int(v, key)
        return (n, n)
    }

    private func float(_ v: Any?, _ key: String) throws -> Float {
        guard let n = v as? NSNumber else { throw ConfigError.bad("\(key) is not a number") }
        return n.floatValue
    }

    /// Builds the layer a fixture's config describes (PyTorch constructor kwargs).
    private func makeLayer(_ c: [String: Any]) throws -> Module {
        var rng = RandomGenerator(seed: 0)
        let module = c["_module"] as? String ?? ""
        switch module {
        case "Linear":
            return Linear(try int(c["in_features"], "in_features"), try int(c["out_features"], "out_features"),
                          bias: c["bias"] as? Bool ?? true, rng: &rng)
        case "Conv2d":
            return Conv2d(try int(c["in_channels"], "in_channels"), try int(c["out_channels"], "out_channels"),
                          kernelSize: try pair(c["kernel_size"], "kernel_size"), stride: try pair(c["stride"], "stride"),
                          padding: try pair(c["padding"], "padding"), dilation: try pair(c["dilation"], "dilation"),
                          groups: try int(c["groups"], "groups"), bias: c["bias"] as? Bool ?? true, rng: &rng)
        case "MaxPool2d":
            return MaxPool2d(kernelSize: try pair(c["kernel_size"], "kernel_size"), stride: try pair(c["stride"], "stride"),
                             padding: try pair(c["padding"], "padding"))
        case "AvgPool2d":
            return AvgPool2d(kernelSize: try pair(c["kernel_size"], "kernel_size"), stride: try pair(c["stride"], "stride"),
                             padding: try pair(c["padding"], "padding"),
                             countIncludePad: c["count_include_pad"] as? Bool ?? true)
        case "AdaptiveAvgPool2d":
            return AdaptiveAvgPool2d(outputSize: try pair(c["output_size"], "output_size"))
        case "BatchNorm1d", "BatchNorm2d":
            let n = try int(c["num_features"], "num_features"), eps = try float(c["eps"], "eps")
            let momentum = c["momentum"] is NSNull ? nil : try float(c["momentum"], "momentum")
            let affine = c["affine"] as? Bool ?? true, track = c["track_running_stats"] as? Bool ?? true
            return module == "BatchNorm1d"
                ? BatchNorm1d(n, eps: eps, momentum: momentum, affine: affine, trackRunningStats: track)
                : BatchNorm2d(n, eps: eps, momentum: momentum, affine: affine, trackRunningStats: track)
        case "LayerNorm":
            guard let shape = c["normalized_shape"] as? [NSNumber] else { throw ConfigError.bad("normalized_shape") }
            return LayerNorm(shape.map { $0.intValue }, eps: try float(c["eps"], "eps"),
                             elementwiseAffine: c["elementwise_affine"] as? Bool ?? true)
        case "Embedding":
            let pad = c["padding_idx"] is NSNull ? nil : try int(c["padding_idx"], "padding_idx")
            return Embedding(try int(c["num_embeddings"], "num_embeddings"), try int(c["embedding_dim"], "embedding_dim"),
                             paddingIdx: pad, rng: &rng)
        case "Dropout": return Dropout(p: try float(c["p"], "p"), rng: &rng)
        case "Flatten": return Flatten(startDim: try int(c["start_dim"], "start_dim"), endDim: try int(c["end_dim"], "end_dim"))
        case "ReLU": return ReLU()
        case "LeakyReLU": return LeakyReLU(negativeSlope: try float(c["negative_slope"], "negative_slope"))
        case "GELU": return GELU(approximate: c["approximate"] as? String ?? "none")
        case "SiLU": return SiLU()
        case "Sigmoid": return Sigmoid()
        case "Tanh": return Tanh()
        case "Softmax": return Softmax(dim: try int(c["dim"], "dim"))
        case "LogSoftmax": return LogSoftmax(dim: try int(c["dim"], "dim"))
        default: throw ConfigError.bad("unknown _module '\(module)'")
        }
    }

    func testEveryLayerFixtureMatchesPyTorch() throws {
        let names = try fixtureNames(in: "layers")
        XCTAssertGreaterThanOrEqual(names.count, 46, "expected the layer fixtures in \(fixtureURL("layers").path)")
        var modules = Set<String>()
        for file in names {
            let name = String(file.dropLast(".safetensors".count))
            let (t, config) = try loadFixture("layers/\(file)")
            let layer = try makeLayer(config)
            modules.insert(layer.typeName)
            XCTAssertEqual(layer.typeName, config["_module"] as? String, name)

            // Strict loading: our state-dict keys must be exactly PyTorch's.
            var sd = StateDict()
            for key in t.keys.sorted() {
                if key.hasPrefix("param.") { sd[String(key.dropFirst(6))] = t[key] }
                if key.hasPrefix("buffer.") { sd[String(key.dropFirst(7))] = t[key] }
            }
            XCTAssertNoThrow(try layer.load(stateDict: sd), "\(name): state-dict keys differ from PyTorch's")
            layer.train(try XCTUnwrap(config["_training"] as? Bool, "\(name): no _training"))

            var x = try XCTUnwrap(t["input"], name)
            let floatInput = x.dtype.isFloatingPoint
            if floatInput {
                x = x.contiguousCopy()
                x.requiresGrad = true
            }
            let y = layer(x)
            assertClose(y, try XCTUnwrap(t["output"]), "\(name): output")
            y.backward(try XCTUnwrap(t["grad_output"], name))
            if let gi = t["grad.input"] {
                XCTAssertTrue(floatInput, name)
                assertClose(try XCTUnwrap(x.grad, "\(name): no input gradient"), gi, "\(name): grad.input")
            }
            var expectedGrads = Set(t.keys.filter { $0.hasPrefix("grad.param.") })
            for (key, p) in layer.namedParameters() {
                let expected = try XCTUnwrap(t["grad.param.\(key)"], "\(name): fixture has no gradient for \(key)")
                expectedGrads.remove("grad.param.\(key)")
                assertClose(try XCTUnwrap(p.grad, "\(name): no gradient for \(key)"), expected, "\(name): grad.param.\(key)")
            }
            XCTAssertEqual(expectedGrads, [], "\(name): PyTorch has gradients for parameters we lack")
            var expectedBuffers = Set(t.keys.filter { $0.hasPrefix("buffer_after.") })
            for (key, b) in layer.namedBuffers() {
                let expected = try XCTUnwrap(t["buffer_after.\(key)"], "\(name): fixture has no buffer \(key)")
                expectedBuffers.remove("buffer_after.\(key)")
                XCTAssertEqual(b.value.dtype, expected.dtype, "\(name): dtype of \(key)")
                if expected.dtype == .int64 {
                    XCTAssertEqual(b.value.shape, expected.shape, "\(name): shape of \(key)")
                    XCTAssertEqual(b.value.toInt64Array(), expected.toInt64Array(), "\(name): \(key) after forward")
                } else {
                    assertClose(b.value, expected, "\(name): \(key) after forward")
                }
            }
            XCTAssertEqual(expectedBuffers, [], "\(name): PyTorch has buffers we lack")
        }
        XCTAssertEqual(modules, ["Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d",
                                 "BatchNorm2d", "LayerNorm", "Embedding", "Dropout", "Flatten", "ReLU", "LeakyReLU", "GELU",
                                 "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"])
    }
}
