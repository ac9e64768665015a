import XCTest
import TensorCore
@testable import NN

/// A tiny module with a parameter, an optional parameter, a buffer and a child, to check key order.
private final class Toy: Module, @unchecked Sendable {
    @Param var weight = Tensor([1, 2, 3, 4], shape: [2, 2])
    @OptionalParam var bias: Tensor? = nil
    @BufferSlot(key: "running_mean") var runningMean = Tensor(zeros: [2])
    var child = Seq2()
}

private final class Seq2: Module, @unchecked Sendable {
    @Param var scale = Tensor([1, 1])
}

final class StateDictTests: XCTestCase {
    func testKeysFollowPyTorchOrder() {
        let m = Toy()
        XCTAssertEqual(m.stateDict().keys, ["weight", "running_mean", "child.scale"])
        XCTAssertEqual(m.namedParameters().map { $0.0 }, ["weight", "child.scale"])
        let s = Sequential(Toy(), Toy())
        XCTAssertEqual(s.stateDict().keys.prefix(3), ["0.weight", "0.running_mean", "0.child.scale"])
    }

    func testStrictLoadReportsEverythingAndChangesNothing() {
        let m = Toy()
        var sd = m.stateDict()
        sd["weight"] = Tensor(zeros: [3, 3])
        sd["extra"] = Tensor(zeros: [1])
        sd["child.scale"] = nil
        XCTAssertThrowsError(try m.load(stateDict: sd)) { e in
            let r = (e as! StateDictLoadError).result
            XCTAssertEqual(r.missingKeys, ["child.scale"])
            XCTAssertEqual(r.unexpectedKeys, ["extra"])
            XCTAssertEqual(r.shapeMismatches.map { $0.key }, ["weight"])
        }
        XCTAssertEqual(m.weight.toArray(), [1, 2, 3, 4])
        let r = try! m.load(stateDict: sd, strict: false)
        XCTAssertEqual(r.loadedKeys, ["running_mean"])
    }

    func testLoadConvertsDtypeAndKeepsLeaf() throws {
        let m = Toy()
        var sd = m.stateDict()
        sd["weight"] = Tensor([5, 6, 7, 8], shape: [2, 2]).to(.float64)
        try m.load(stateDict: sd)
        XCTAssertEqual(m.weight.toArray(), [5, 6, 7, 8])
        XCTAssertEqual(m.weight.dtype, .float32)
        XCTAssertTrue(m.$weight.requiresGrad && m.weight.requiresGrad)
    }
}
