import Foundation
import XCTest
import TensorCore
import CairnTestSupport
@testable import NN

/// Compares every loss fixture (`Tests/Fixtures/losses/*.safetensors`, written by
/// `scripts/make_fixtures.py` from PyTorch) with `Loss`: the output and the input gradient.
final class LossParityTests: XCTestCase {
    /// The fixture folder; `CAIRN_FIXTURES` overrides it (e.g. for freshly generated fixtures).
    private var lossFixtureDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["CAIRN_FIXTURES"] {
            return URL(fileURLWithPath: dir).appendingPathComponent("losses")
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/losses")
    }

    private func fixtureFiles() throws -> [URL] {
        let files = try FileManager.default.contentsOfDirectory(at: lossFixtureDirectory, includingPropertiesForKeys: nil)
        return files.filter { $0.pathExtension == "safetensors" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    func testEveryLossFixtureMatchesPyTorch() throws {
        let files = try fixtureFiles()
        XCTAssertGreaterThanOrEqual(files.count, 33, "expected the loss fixtures in \(lossFixtureDirectory.path)")
        var functions = Set<String>()
        for url in files {
            let name = url.deletingPathExtension().lastPathComponent
            let file = try SafetensorsFile(contentsOf: url)
            let configText = try XCTUnwrap(file.metadata?["config"], "\(name): no config in __metadata__")
            let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(configText.utf8)) as? [String: Any],
                                       "\(name): config is not a JSON object")
            let function = try XCTUnwrap(config["_function"] as? String, "\(name): no _function")
            functions.insert(function)
            let reduction = try XCTUnwrap(Reduction(rawValue: config["reduction"] as? String ?? "mean"),
                                          "\(name): bad reduction")
            let ignoreIndex = (config["ignore_index"] as? NSNumber)?.intValue ?? -100
            let labelSmoothing = (config["label_smoothing"] as? NSNumber)?.floatValue ?? 0
            let weight = file.contains("weight") ? try file.tensor("weight") : nil
            let posWeight = file.contains("pos_weight") ? try file.tensor("pos_weight") : nil
            let target = try file.tensor("target")
            var input = try file.tensor("input").contiguousCopy()
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
            assertClose(output, try file.tensor("output"), rtol: 1e-5, atol: 1e-6, "\(name) output")
            if file.contains("grad_output") {
                output.backward(try file.tensor("grad_output"))
            } else {
                output.backward()
            }
            let grad = try XCTUnwrap(input.grad, "\(name): no gradient reached the input")
            assertClose(grad, try file.tensor("grad.input"), rtol: 1e-5, atol: 1e-6, "\(name) grad.input")
        }
        XCTAssertEqual(functions, ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy_with_logits"])
    }
}
