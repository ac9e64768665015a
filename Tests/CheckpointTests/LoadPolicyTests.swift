import Foundation
import XCTest
import TensorCore
import NN
@testable import Checkpoint
import CairnTestSupport

final class LoadPolicyTests: XCTestCase {
    /// Linear(4, 8) → ReLU → Linear(8, 3).
    private func mlp(seed: UInt64, out: Int = 3) -> Sequential {
        var rng = RandomGenerator(seed: seed)
        return Sequential(Linear(4, 8, rng: &rng), ReLU(), Linear(8, out, rng: &rng))
    }

    private func prefixed(_ sd: StateDict, _ prefix: String) -> StateDict {
        StateDict(sd.map { (prefix + $0.0, $0.1) })
    }

    func testStrictLoadOfMatchingStateIsClean() throws {
        let src = mlp(seed: 1), dst = mlp(seed: 2)
        let report = try src.stateDict().load(into: dst)
        XCTAssertTrue(report.isClean)
        XCTAssertEqual(report.loaded, ["0.weight", "0.bias", "2.weight", "2.bias"])
        assertBitExact(dst.stateDict(), src.stateDict())
    }

    func testStrictThrowsWithTheWholeReportAndLeavesTheModelUntouched() throws {
        let src = mlp(seed: 1, out: 5), dst = mlp(seed: 2)
        var sd = src.stateDict()
        sd["extra.weight"] = Tensor.ones([2])
        sd["0.bias"] = nil
        let before = dst.stateDict()
        XCTAssertThrowsError(try sd.load(into: dst, policy: .strict)) { e in
            guard let err = e as? LoadError, let report = err.report else { return XCTFail("\(e)") }
            XCTAssertEqual(report.missing, ["0.bias"])
            XCTAssertEqual(report.unexpected, ["extra.weight"])
            XCTAssertEqual(report.shapeMismatches.map(\.key), ["2.weight", "2.bias"])
            XCTAssertEqual(report.shapeMismatches[0].expected, [3, 8])
            XCTAssertEqual(report.shapeMismatches[0].found, [5, 8])
            XCTAssertEqual(report.loaded, ["0.weight"])
            let text = err.description
            for needle in ["missing", "0.bias", "unexpected", "extra.weight", "size mismatch for 2.weight", "[3, 8]", "[5, 8]"] {
                XCTAssertTrue(text.contains(needle), "'\(needle)' not in:\n\(text)")
            }
        }
        assertBitExact(dst.stateDict(), before)
    }

    func testNonStrictLoadsWhatFitsAndReports() throws {
        let src = mlp(seed: 1, out: 5), dst = mlp(seed: 2)
        var sd = src.stateDict()
        sd["0.bias"] = nil
        let before = dst.stateDict()
        let report = try sd.load(into: dst, policy: .nonStrict)
        XCTAssertEqual(report.loaded, ["0.weight"])
        XCTAssertEqual(report.missing, ["0.bias"])
        XCTAssertEqual(report.shapeMismatches.map(\.action), [.skip, .skip])
        XCTAssertEqual(bits(dst.stateDict()["0.weight"]!), bits(src.stateDict()["0.weight"]!))
        XCTAssertEqual(bits(dst.stateDict()["2.weight"]!), bits(before["2.weight"]!))
        XCTAssertFalse(report.isClean)
    }

    func testStripPrefixModule() throws {
        let src = mlp(seed: 1), dst = mlp(seed: 2)
        let sd = prefixed(src.stateDict(), "module.")
        XCTAssertThrowsError(try sd.load(into: dst))
        let report = try sd.load(into: dst, policy: LoadPolicy.strict.remapping(.stripPrefix("module.")))
        XCTAssertTrue(report.isClean)
        XCTAssertEqual(report.renamed.first, .init(from: "module.0.weight", to: "0.weight"))
        XCTAssertEqual(report.renamed.count, 4)
        assertBitExact(dst.stateDict(), src.stateDict())
    }

    func testAddPrefixRenameAndRegex() throws {
        let src = mlp(seed: 1), dst = mlp(seed: 2)
        // Checkpoint keys "encoder.fc1.*" / "head.*".
        let sd = StateDict(src.stateDict().map { k, t in
            (k.hasPrefix("0.") ? "encoder.fc1." + k.dropFirst(2) : "head." + k.dropFirst(2), t)
        })
        let policy = LoadPolicy.strict.remapping(
            .regex(pattern: "^encoder\\.fc1\\.(.*)$", template: "0.$1"),
            .rename(["head.weight": "2.weight"]),
            .addPrefix(""))
        var p = policy
        p.remap.append(.regex(pattern: "^head\\.bias$", template: "2.bias"))
        let report = try sd.load(into: dst, policy: p)
        XCTAssertTrue(report.isClean, report.rendered())
        assertBitExact(dst.stateDict(), src.stateDict())

        // addPrefix: a bare Linear's keys into a Sequential slot.
        let lin = src[2] as! Linear
        let dst2 = mlp(seed: 3)
        let r2 = try lin.stateDict().load(into: dst2, policy: LoadPolicy.nonStrict.remapping(.addPrefix("2.")))
        XCTAssertEqual(r2.loaded, ["2.weight", "2.bias"])
        XCTAssertEqual(r2.missing, ["0.weight", "0.bias"])

        // A bad regex is a typed error.
        XCTAssertThrowsError(try sd.load(into: dst, policy: LoadPolicy.strict.remapping(.regex(pattern: "([", template: "")))) { e in
            guard case .invalidPattern? = e as? LoadError else { return XCTFail("\(e)") }
        }
        // Two keys onto one target is ambiguous.
        XCTAssertThrowsError(try sd.load(into: dst, policy: LoadPolicy.nonStrict.remapping(.regex(pattern: "^.*$", template: "x")))) { e in
            guard case .duplicateKey(let k, let s)? = e as? LoadError else { return XCTFail("\(e)") }
            XCTAssertEqual(k, "x")
            XCTAssertEqual(s.count, 4)
        }
    }

    func testGlobSelectLoadsOnlyMatchingKeys() throws {
        let src = mlp(seed: 1), dst = mlp(seed: 2)
        let before = dst.stateDict()
        let report = try src.stateDict().load(into: dst, policy: LoadPolicy.strict.selecting("0.*"))
        XCTAssertEqual(report.loaded, ["0.weight", "0.bias"])
        XCTAssertEqual(report.notSelected, ["2.weight", "2.bias"])
        XCTAssertEqual(report.ignored, ["2.weight", "2.bias"])
        XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty)
        XCTAssertEqual(bits(dst.stateDict()["0.weight"]!), bits(src.stateDict()["0.weight"]!))
        XCTAssertEqual(bits(dst.stateDict()["2.weight"]!), bits(before["2.weight"]!))
        let biases = try src.stateDict().load(into: mlp(seed: 4), policy: LoadPolicy.strict.selecting("*.bia[s]"))
        XCTAssertEqual(biases.loaded, ["0.bias", "2.bias"])
    }

    func testShapeMismatchErrorSkipReinitialize() throws {
        let src = mlp(seed: 1, out: 5)
        let sd = src.stateDict()
        // error
        XCTAssertThrowsError(try sd.load(into: mlp(seed: 2), policy: LoadPolicy.nonStrict.onShapeMismatch(.error))) { e in
            XCTAssertEqual((e as? LoadError)?.report?.shapeMismatches.map(\.action), [.error, .error])
        }
        // skip
        let skipped = mlp(seed: 2)
        let head = bits(skipped.stateDict()["2.weight"]!)
        let rs = try sd.load(into: skipped, policy: LoadPolicy.strict.onShapeMismatch(.skip))
        XCTAssertEqual(rs.shapeMismatches.map(\.key), ["2.weight", "2.bias"])
        XCTAssertEqual(bits(skipped.stateDict()["2.weight"]!), head)
        XCTAssertEqual(rs.loaded, ["0.weight", "0.bias"])
        // reinitialize: fresh values of the model's shape, deterministic in the seed, bias within ±1/√fan_in.
        let a = mlp(seed: 2), b = mlp(seed: 2)
        var policy = LoadPolicy.strict.onShapeMismatch(.reinitialize)
        policy.reinitSeed = 11
        let ra = try sd.load(into: a, policy: policy)
        _ = try sd.load(into: b, policy: policy)
        XCTAssertEqual(ra.reinitialized, ["2.weight", "2.bias"])
        let w = a.stateDict()["2.weight"]!
        XCTAssertEqual(w.shape, [3, 8])
        XCTAssertNotEqual(bits(w), head)
        XCTAssertEqual(bits(w), bits(b.stateDict()["2.weight"]!))
        let bound = 1 / Float(8).squareRoot()
        XCTAssertTrue(a.stateDict()["2.bias"]!.toArray().allSatisfy { abs($0) <= bound })
        XCTAssertTrue(ra.rendered().contains("re-initialized (2):"))
    }

    func testDTypeConversionIsReportedOrRefused() throws {
        var rng = RandomGenerator(seed: 1)
        let dst = Sequential(Linear(4, 2, rng: &rng), BatchNorm1d(2))
        var sd = dst.stateDict()
        let w16 = Tensor([0.5, -1.25, 2, 0.125, 3, -4, 1.5, 0.75], shape: [2, 4]).to(.float16)
        sd["0.weight"] = w16
        sd["1.num_batches_tracked"] = Tensor([7], shape: []).to(.float64)
        let report = try sd.load(into: dst, policy: .strict)
        XCTAssertEqual(report.dtypeConversions, [
            .init(key: "0.weight", from: .float16, to: .float32),
            .init(key: "1.num_batches_tracked", from: .float64, to: .int64),
        ])
        XCTAssertEqual(dst.stateDict()["0.weight"]!.dtype, .float32)
        XCTAssertEqual(dst.stateDict()["0.weight"]!.toArray(), [0.5, -1.25, 2, 0.125, 3, -4, 1.5, 0.75])
        XCTAssertEqual(dst.stateDict()["1.num_batches_tracked"]!.toInt64Array(), [7])
        XCTAssertTrue(report.rendered().contains("0.weight: float16 → float32"), report.rendered())

        var noConv = LoadPolicy.strict
        noConv.verify.insert(.noDTypeConversion)
        XCTAssertThrowsError(try sd.load(into: dst, policy: noConv)) { e in
            XCTAssertTrue("\(e)".contains("dtype mismatch for 0.weight"), "\(e)")
        }
    }

    func testReportRoundTripsThroughJSON() throws {
        let src = mlp(seed: 1, out: 5)
        let report = try prefixed(src.stateDict(), "module.").load(into: mlp(seed: 2),
            policy: LoadPolicy.nonStrict.remapping(.stripPrefix("module.")))
        let json = try report.jsonString()
        let back = try JSONDecoder().decode(LoadReport.self, from: Data(json.utf8))
        XCTAssertEqual(back, report)
        XCTAssertTrue(json.contains("\"shapeMismatches\""))
    }
}
