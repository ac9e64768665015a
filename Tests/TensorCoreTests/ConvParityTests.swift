import XCTest
import TensorCore
import CairnTestSupport

/// A conv/pool fixture lacking an expected tensor or config entry.
private struct ParityFixtureError: Error, CustomStringConvertible {
    let description: String
}

/// conv2d and the pooling ops against PyTorch 2.13 fixtures in Tests/Fixtures/layers (see its README).
final class ConvParityTests: XCTestCase {
    /// A kernel/stride/padding config value: an int or a two-element array.
    private func pair(_ config: [String: Any], _ key: String, file: String) throws -> (Int, Int) {
        if let v = config[key] as? Int { return (v, v) }
        if let a = config[key] as? [Int], a.count == 2 { return (a[0], a[1]) }
        throw ParityFixtureError(description: "\(file): config \"\(key)\" is not an int or a pair: \(String(describing: config[key]))")
    }

    private func tensor(_ tensors: [String: Tensor], _ name: String, file: String) throws -> Tensor {
        guard let t = tensors[name] else { throw ParityFixtureError(description: "\(file): no tensor \"\(name)\"") }
        return t
    }

    func testLayerFixturesMatchPyTorch() throws {
        let files = try fixtureNames(in: "layers").filter {
            ["conv2d", "maxpool2d", "avgpool2d", "adaptiveavgpool2d"].contains(where: $0.hasPrefix)
        }
        XCTAssertGreaterThanOrEqual(files.count, 14, "expected the conv and pooling fixtures")
        for name in files {
            let (tensors, config) = try loadFixture("layers/" + name)
            var x = try tensor(tensors, "input", file: name)
            x.requiresGrad = true
            var params: [String: Tensor] = [:]
            let y: Tensor
            switch config["_module"] as? String {
            case "Conv2d":
                var w = try tensor(tensors, "param.weight", file: name)
                w.requiresGrad = true
                params["weight"] = w
                var b = tensors["param.bias"]
                b?.requiresGrad = true
                params["bias"] = b
                XCTAssertEqual(b != nil, config["bias"] as? Bool, "\(name): bias presence")
                y = Tensor.conv2d(x, weight: w, bias: b, stride: try pair(config, "stride", file: name),
                                  padding: try pair(config, "padding", file: name),
                                  dilation: try pair(config, "dilation", file: name), groups: config["groups"] as? Int ?? 1)
            case "MaxPool2d":
                y = Tensor.maxPool2d(x, kernel: try pair(config, "kernel_size", file: name), stride: try pair(config, "stride", file: name),
                                     padding: try pair(config, "padding", file: name))
            case "AvgPool2d":
                y = Tensor.avgPool2d(x, kernel: try pair(config, "kernel_size", file: name), stride: try pair(config, "stride", file: name),
                                     padding: try pair(config, "padding", file: name),
                                     countIncludePad: config["count_include_pad"] as? Bool ?? true)
            case "AdaptiveAvgPool2d":
                y = Tensor.adaptiveAvgPool2d(x, outputSize: try pair(config, "output_size", file: name))
            default:
                XCTFail("\(name): unexpected _module \(String(describing: config["_module"]))")
                continue
            }
            assertClose(y, try tensor(tensors, "output", file: name), rtol: 1e-5, atol: 1e-6, "\(name) output")
            y.backward(try tensor(tensors, "grad_output", file: name))
            assertClose(x.grad!, try tensor(tensors, "grad.input", file: name), rtol: 1e-5, atol: 1e-6, "\(name) grad.input")
            for (pname, p) in params.sorted(by: { $0.key < $1.key }) {
                assertClose(p.grad!, try tensor(tensors, "grad.param." + pname, file: name), rtol: 1e-5, atol: 1e-6,
                            "\(name) grad.param.\(pname)")
            }
        }
    }
}
