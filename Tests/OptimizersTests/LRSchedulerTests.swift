import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import CairnTestSupport

/// Every case of `Tests/Fixtures/schedulers.json`: the 30 learning rates (and momenta), the state
/// dict after 10 steps, and a save/restore at step 10 that must continue identically.
final class LRSchedulerTests: XCTestCase {
    private static let cases: HyperDict = {
        let text = try! String(contentsOf: fixtureURL("schedulers.json"), encoding: .utf8)
        guard case .dict(let d) = TorchJSON.parse(text) else { fatalError("schedulers.json is not an object") }
        return d
    }()

    private struct Run {
        let param: Parameter
        let optimizer: Optimizer
        let scheduler: LRScheduler
    }

    private func double(_ d: HyperDict, _ k: String) -> Double? { d[k]?.doubleValue }

    private func makeRun(_ spec: HyperDict) -> Run {
        let p = Parameter(Tensor([1, -1]))
        let ok = spec["optimizer_kwargs"]!.dictValue!
        let lr = double(ok, "lr")!
        let opt: Optimizer = spec["optimizer"]!.stringValue == "Adam"
            ? Adam([("p", p)], lr: lr)
            : SGD([("p", p)], lr: lr, momentum: double(ok, "momentum") ?? 0)
        let kw = spec["scheduler_kwargs"]!.dictValue!
        return Run(param: p, optimizer: opt, scheduler: makeScheduler(spec["scheduler"]!.stringValue!, kw, opt))
    }

    private func makeScheduler(_ name: String, _ kw: HyperDict, _ opt: Optimizer) -> LRScheduler {
        func d(_ k: String) -> Double? { kw[k]?.doubleValue }
        func i(_ k: String) -> Int? { kw[k]?.intValue }
        func children() -> [LRSchedulerBase] {
            kw["schedulers"]!.arrayValue!.map { entry in
                let (n, v) = entry.dictValue!.pairs[0]
                return makeScheduler(n, v.dictValue!, opt) as! LRSchedulerBase
            }
        }
        switch name {
        case "StepLR": return StepLR(opt, stepSize: i("step_size")!, gamma: d("gamma")!)
        case "MultiStepLR": return MultiStepLR(opt, milestones: kw["milestones"]!.arrayValue!.map { $0.intValue! }, gamma: d("gamma")!)
        case "ExponentialLR": return ExponentialLR(opt, gamma: d("gamma")!)
        case "CosineAnnealingLR": return CosineAnnealingLR(opt, tMax: i("T_max")!, etaMin: d("eta_min") ?? 0)
        case "LinearLR":
            return LinearLR(opt, startFactor: d("start_factor")!, endFactor: d("end_factor")!, totalIters: i("total_iters")!)
        case "OneCycleLR":
            return OneCycleLR(opt, maxLR: d("max_lr")!, totalSteps: i("total_steps")!,
                              annealStrategy: kw["anneal_strategy"]?.stringValue == "linear" ? .linear : .cos,
                              threePhase: kw["three_phase"]?.boolValue ?? false)
        case "ReduceLROnPlateau":
            return ReduceLROnPlateau(opt, mode: kw["mode"]?.stringValue == "max" ? .max : .min, factor: d("factor")!,
                                     patience: i("patience")!, threshold: d("threshold") ?? 1e-4,
                                     thresholdMode: kw["threshold_mode"]?.stringValue == "abs" ? .abs : .rel,
                                     cooldown: i("cooldown") ?? 0, minLR: d("min_lr") ?? 0)
        case "SequentialLR": return SequentialLR(opt, schedulers: children(), milestones: kw["milestones"]!.arrayValue!.map { $0.intValue! })
        case "ChainedScheduler": return ChainedScheduler(children())
        default: fatalError("unknown scheduler \(name)")
        }
    }

    /// One iteration as the fixture generator ran it: optimizer.step(), then scheduler.step().
    private func iterate(_ run: Run, _ spec: HyperDict, _ k: Int) {
        run.param.setGrad(Tensor([0.5, -0.25]))
        run.optimizer.step()
        if let metrics = spec["metrics"]?.arrayValue {
            run.scheduler.step(metric: metrics[k].doubleValue!)
        } else {
            run.scheduler.step()
        }
    }

    /// The momentum the fixture tracks (SGD `momentum` or Adam `beta1`), if any.
    private func momentum(_ run: Run) -> Double? {
        let g = run.optimizer.paramGroups[0]
        if let b = g["betas"]?.arrayValue { return b[0].doubleValue }
        return g["momentum"]?.doubleValue
    }

    private func expectedMomentum(_ spec: HyperDict, _ k: Int) -> Double? {
        if let m = spec["momentum"]?.arrayValue { return m[k].doubleValue }
        if let b = spec["betas"]?.arrayValue { return b[k].arrayValue?[0].doubleValue }
        return nil
    }

    func testEveryFixtureCaseMatchesPyTorch() throws {
        XCTAssertEqual(Self.cases.count, 13)
        for (name, value) in Self.cases {
            let spec = value.dictValue!
            let run = makeRun(spec)
            assertRelClose(run.optimizer.paramGroups[0].lr, spec["initial_lr"]!.doubleValue!, "\(name) initial lr")
            if let m = spec["initial_momentum"]?.doubleValue ?? spec["initial_betas"]?.arrayValue?[0].doubleValue {
                XCTAssertEqual(momentum(run), m, "\(name) initial momentum")
            }
            let lrs = spec["lrs"]!.arrayValue!.map { $0.doubleValue! }
            XCTAssertEqual(lrs.count, 30)
            for k in 0..<30 {
                iterate(run, spec, k)
                assertRelClose(run.optimizer.paramGroups[0].lr, lrs[k], "\(name) lr after step \(k + 1)")
                assertRelClose(run.scheduler.lastLR[0], lrs[k], "\(name) lastLR after step \(k + 1)")
                if let m = expectedMomentum(spec, k) { assertRelClose(momentum(run)!, m, "\(name) momentum after step \(k + 1)") }
                if k == 9 {
                    let mine = TorchJSON.jsonForm(.dict(run.scheduler.stateDict()))
                    if let problem = Self.difference(mine, spec["state_dict_after_10"]!, path: name) {
                        XCTFail("state_dict after 10 steps: \(problem)")
                    }
                }
            }
        }
    }

    func testSaveAfterTenStepsAndRestoreContinuesIdentically() throws {
        for (name, value) in Self.cases {
            let spec = value.dictValue!
            let original = makeRun(spec)
            for k in 0..<10 { iterate(original, spec, k) }
            // Through JSON, as a checkpoint would carry the Codable state.
            let data = try JSONEncoder().encode(original.scheduler.stateDict())
            let savedScheduler = try JSONDecoder().decode(HyperDict.self, from: data)
            XCTAssertEqual(savedScheduler, original.scheduler.stateDict(), "\(name): Codable round trip")
            let savedOptimizer = original.optimizer.stateDict()

            let resumed = makeRun(spec)
            try resumed.optimizer.load(stateDict: savedOptimizer)
            try resumed.scheduler.loadStateDict(savedScheduler)
            XCTAssertEqual(resumed.scheduler.lastLR, original.scheduler.lastLR, name)
            let lrs = spec["lrs"]!.arrayValue!.map { $0.doubleValue! }
            for k in 10..<30 {
                iterate(original, spec, k)
                iterate(resumed, spec, k)
                XCTAssertEqual(resumed.optimizer.paramGroups[0].lr, original.optimizer.paramGroups[0].lr, "\(name) step \(k + 1)")
                XCTAssertEqual(momentum(resumed), momentum(original), "\(name) momentum step \(k + 1)")
                assertRelClose(resumed.optimizer.paramGroups[0].lr, lrs[k], "\(name) resumed lr after step \(k + 1)")
            }
            XCTAssertEqual(resumed.scheduler.stateDict(), original.scheduler.stateDict(), "\(name) final state")
        }
    }

    func testLoadingMalformedStateThrowsNamingTheKey() {
        let opt = SGD([("p", Parameter(Tensor([1])))], lr: 0.1)
        let s = StepLR(opt, stepSize: 2)
        var bad = s.stateDict()
        bad["gamma"] = "fast"
        XCTAssertThrowsError(try s.loadStateDict(bad)) { error in
            XCTAssertEqual(error as? StateLoadError, .wrongType(context: "StepLR state", key: "gamma", expected: "number", found: "str"))
        }
        bad["gamma"] = nil
        XCTAssertThrowsError(try s.loadStateDict(bad)) { error in
            XCTAssertEqual("\(error)", "StepLR state: missing key 'gamma'")
        }
        XCTAssertEqual(s.stateDict()["gamma"], 0.1, "a failed load changes nothing")
    }

    private func assertRelClose(_ a: Double, _ e: Double, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - e), 1e-7 * abs(e), "\(message): \(a) vs \(e)", file: file, line: line)
    }

    /// The first difference between two JSON-form values (numbers within 1e-7 relative), or nil.
    static func difference(_ a: HyperValue, _ b: HyperValue, path: String) -> String? {
        switch (a, b) {
        case (.dict(let x), .dict(let y)):
            if Set(x.keys) != Set(y.keys) { return "\(path): keys \(x.keys.sorted()) vs \(y.keys.sorted())" }
            for k in x.keys { if let d = difference(x[k]!, y[k]!, path: "\(path).\(k)") { return d } }
            return nil
        case (.list(let x), .list(let y)):
            if x.count != y.count { return "\(path): \(x.count) vs \(y.count) elements" }
            for (i, (u, v)) in zip(x, y).enumerated() { if let d = difference(u, v, path: "\(path)[\(i)]") { return d } }
            return nil
        case (.double(let x), .double(let y)):
            return abs(x - y) <= 1e-7 * abs(y) ? nil : "\(path): \(x) vs \(y)"
        default:
            return a == b ? nil : "\(path): \(a) (\(a.kindName)) vs \(b) (\(b.kindName))"
        }
    }
}
