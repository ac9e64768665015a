import Foundation
import XCTest
import TensorCore
import CairnTestSupport
import NN

/// Compares every loss fixture (`Tests/Fixtures/losses/*.safetensors`, written by
/// `scripts/make_fixtures.py` from PyTorch) with `Loss`: the output and the input gradient.
final class LossParityTests: XCTestCase {
    func testEveryLossFixtureMatchesPyTorch() throws {
        let files = try fixtureNames(in: "losses")
        XCTAssertGreaterThanOrEqual(files.count, 33, "expected the loss fixtures in \(fixtureURL("losses").path)")
        var functions = Set<String>()
        for file in files {
            let name = String(file.dropLast(".safetensors".count))
            let (tensors, config) = try loadFixture("losses/" + file)
            let function = try XCTUnwrap(config["_function"] as? String, "\(name): no _function")
            functions.insert(function)
            let reduction = try XCTUnwrap(Reduction(rawValue: config["reduction"] as? String ?? "mean"),
                                          "\(name): bad reduction")
            let ignoreIndex = (config["ignore_index"] as? NSNumber)?.intValue ?? -100
            let labelSmoothing = (config["label_smoothing"] as? NSNumber)?.floatValue ?? 0
            let weight = tensors["weight"], posWeight = tensors["pos_weight"]
            let target = try XCTUnwrap(tensors["target"], "\(name): no target")
            var input = try XCTUnwrap(tensors["input"], "\(name): no input").contiguousCopy()
            input.requiresGrad = true

            let output: Tensor
            switch function {
            case "cross_entropy":
                output = Loss.crossEntropy(input, target, weight: weight, ignoreIndex: ignoreIndex,
                                           labelSmoothing: labelSmoothing, reduction: reduction)
            case "nll_loss":
                output = Loss.nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
            case "mse_loss":
                output = Loss.mseLoss(input, target, reduction: reduction)
            case "l1_loss":
                output = Loss.l1Loss(input, target, reduction: reduction)
            case "binary_cross_entropy_with_logits":
                output = Loss.binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight,
                                                           reduction: reduction)
            default:
                XCTFail("\(name): unknown loss function \(function)")
                continue
            }
            assertClose(output, try XCTUnwrap(tensors["output"]), rtol: 1e-5, atol: 1e-6, "\(name) output")
            if let gradOutput = tensors["grad_output"] {
                output.backward(gradOutput)
            } else {
                output.backward()
            }
            let grad = try XCTUnwrap(input.grad, "\(name): no gradient reached the input")
            assertClose(grad, try XCTUnwrap(tensors["grad.input"]), rtol: 1e-5, atol: 1e-6, "\(name) grad.input")
        }
        XCTAssertEqual(functions, ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy_with_logits"])
    }
}
