import Foundation
import XCTest
import Optimizers

final class HyperValueTests: XCTestCase {
    func testJSONRoundTripKeepsPythonKinds() throws {
        let d: HyperDict = ["lr": 1.0, "weight_decay": 0, "betas": .tuple([0.9, 0.999]), "foreach": nil,
                            "flags": [true, "x"], "best": .double(-.infinity), "m": .counter([.init(key: 5, count: 2)]),
                            "nested": .dict(["end_step": 8.0])]
        let back = try JSONDecoder().decode(HyperDict.self, from: JSONEncoder().encode(d))
        XCTAssertTrue(back.isIdenticallyOrdered(to: d))
        XCTAssertEqual(back["lr"], .double(1))
        XCTAssertEqual(back["weight_decay"], .int(0))
        XCTAssertEqual(back["betas"], .tuple([.double(0.9), .double(0.999)]))
    }

    func testDescriptionLooksLikePython() {
        let d: HyperDict = ["lr": 0.001, "betas": .tuple([0.9, 0.999]), "foreach": nil, "amsgrad": false, "params": [0, 1]]
        XCTAssertEqual(d.description, "{'lr': 0.001, 'betas': (0.9, 0.999), 'foreach': None, 'amsgrad': False, 'params': [0, 1]}")
    }

    func testEqualityIgnoresOrderButOrderedCheckDoesNot() {
        let a: HyperDict = ["x": 1, "y": 2], b: HyperDict = ["y": 2, "x": 1]
        XCTAssertEqual(a, b)
        XCTAssertFalse(a.isIdenticallyOrdered(to: b))
        XCTAssertNotEqual(HyperValue.int(1), HyperValue.double(1))
    }
}
