import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

/// One `Tests/Fixtures/optimizers/<name>.safetensors` run: 20 fixed-gradient steps on `w` [3,4] and `b` [4].
struct OptimizerFixture {
    let name: String
    let tensors: [String: Tensor]
    let config: [String: Any]

    init(_ name: String) throws {
        self.name = name
        (tensors, config) = try loadFixture("optimizers/\(name).safetensors")
    }

    var steps: Int { config["_steps"] as? Int ?? 20 }

    func tensor(_ key: String) -> Tensor {
        guard let t = tensors[key] else { fatalError("\(name): fixture has no tensor \(key)") }
        return t
    }

    func double(_ key: String) -> Double { (config[key] as? NSNumber)?.doubleValue ?? 0 }
    func bool(_ key: String) -> Bool { config[key] as? Bool ?? false }

    /// Fresh parameters at the fixture's initial values.
    func makeParameters() -> [(String, Parameter)] {
        [("w", Parameter(tensor("init.w"))), ("b", Parameter(tensor("init.b")))]
    }

    /// The optimizer the fixture was made with, built from its config.
    func makeOptimizer(_ params: [(String, Parameter)]) -> Optimizer {
        let lr = double("lr"), wd = double("weight_decay")
        switch config["_optimizer"] as? String {
        case "SGD":
            var groups = [ParamGroup(params)]
            if let spec = config["_param_groups"] as? [[String: Any]] {
                groups = spec.map { g in
                    let names = g["params"] as? [String] ?? []
                    return ParamGroup(params.filter { names.contains($0.0) },
                                      options: ["lr": .double((g["lr"] as? NSNumber)?.doubleValue ?? lr)])
                }
            }
            return SGD(groups: groups, lr: lr, momentum: double("momentum"), dampening: double("dampening"),
                       weightDecay: wd, nesterov: bool("nesterov"))
        case "Adam", "AdamW":
            let betas = (config["betas"] as? [NSNumber])?.map(\.doubleValue) ?? [0.9, 0.999]
            if config["_optimizer"] as? String == "AdamW" {
                return AdamW(params, lr: lr, betas: (betas[0], betas[1]), eps: double("eps"), weightDecay: wd,
                             amsgrad: bool("amsgrad"))
            }
            return Adam(params, lr: lr, betas: (betas[0], betas[1]), eps: double("eps"), weightDecay: wd,
                        amsgrad: bool("amsgrad"))
        case "RMSprop":
            return RMSprop(params, lr: lr, alpha: double("alpha"), eps: double("eps"), weightDecay: wd,
                           momentum: double("momentum"), centered: bool("centered"))
        case "Adagrad":
            return Adagrad(params, lr: lr, lrDecay: double("lr_decay"), weightDecay: wd,
                           initialAccumulatorValue: double("initial_accumulator_value"), eps: double("eps"))
        default:
            fatalError("\(name): unknown optimizer \(config["_optimizer"] ?? "nil")")
        }
    }

    /// Sets step k's fixed gradients on `params`.
    func applyGradients(step k: Int, to params: [(String, Parameter)]) {
        for (n, p) in params { p.setGrad(tensor("grads.\(k).\(n)")) }
    }

    /// Runs all steps, asserting the parameters after each against PyTorch, and returns the optimizer.
    @discardableResult
    func runAndCheck(file: StaticString = #filePath, line: UInt = #line) -> (Optimizer, [(String, Parameter)]) {
        let params = makeParameters()
        let opt = makeOptimizer(params)
        for k in 1...steps {
            applyGradients(step: k, to: params)
            opt.step()
            for (n, p) in params {
                assertClose(p.value, tensor("step.\(k).\(n)"), rtol: 1e-5, atol: 1e-6, "\(name) step \(k) \(n)",
                            file: file, line: line)
            }
        }
        checkFinalState(opt, file: file, line: line)
        return (opt, params)
    }

    /// The state after the last step equals the fixture's `state.<p>.<key>` tensors and `_state_step`.
    func checkFinalState(_ opt: Optimizer, file: StaticString = #filePath, line: UInt = #line) {
        let stepMap = config["_state_step"] as? [String: Any] ?? [:]
        for n in ["w", "b"] {
            let expectedKeys = Set(tensors.keys.filter { $0.hasPrefix("state.\(n).") }.map { String($0.dropFirst("state.\(n).".count)) })
            let s = opt.state[n]
            XCTAssertEqual(Set(s?.keys ?? []), expectedKeys, "\(name): state keys of \(n)", file: file, line: line)
            for k in expectedKeys {
                if let t = s?[k] {
                    assertClose(t, tensor("state.\(n).\(k)"), rtol: 1e-5, atol: 1e-6, "\(name) state \(n).\(k)", file: file, line: line)
                }
            }
            if let step = (stepMap[n] as? NSNumber)?.floatValue {
                XCTAssertEqual(s?.step, step, "\(name): step of \(n)", file: file, line: line)
            } else {
                XCTAssertNil(s?.step, "\(name): \(n) should keep no step", file: file, line: line)
            }
        }
    }

    /// All fixture names starting with `prefix`.
    static func names(prefix: String) throws -> [String] {
        try fixtureNames(in: "optimizers").map { String($0.dropLast(".safetensors".count)) }.filter { $0.hasPrefix(prefix) }
    }
}

/// Counts elements that are bit-identical, to see how closely a kernel follows torch's rounding.
func identicalFraction(_ a: Tensor, _ b: Tensor) -> Double {
    let x = a.toArray(), y = b.toArray()
    return Double(zip(x, y).filter { $0.0 == $0.1 }.count) / Double(max(x.count, 1))
}
