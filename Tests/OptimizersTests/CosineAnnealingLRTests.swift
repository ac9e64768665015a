import XCTest
import Optimizers
import CairnTestSupport

final class CosineAnnealingLRTests: XCTestCase {
    func testUsesTorchRecursionNotTheClosedForm() throws {
        // Past T_max the recursion rises again; its doubles equal torch's exactly while the closed
        // form differs in the last bits at many steps (checked against the fixture).
        let text = try String(contentsOf: fixtureURL("schedulers.json"), encoding: .utf8)
        let torchLRs = TorchJSON.parse(text).dictValue!["CosineAnnealingLR"]!.dictValue!["lrs"]!.arrayValue!.map { $0.doubleValue! }
        let opt = schedulerTestOptimizer(lr: 0.1)
        let s = CosineAnnealingLR(opt, tMax: 10, etaMin: 0.001)
        var closedDiffers = 0
        for k in 0..<30 {
            s.step()
            XCTAssertEqual(opt.paramGroups[0].lr, torchLRs[k], "step \(k + 1)")
            if s.closedFormLR()![0] != torchLRs[k] { closedDiffers += 1 }
        }
        XCTAssertGreaterThan(closedDiffers, 0)
        XCTAssertEqual(torchLRs[9], 0.001, accuracy: 1e-15)
        XCTAssertGreaterThan(torchLRs[15], torchLRs[10])
    }

    func testHalfwayIsTheMidpoint() {
        let opt = schedulerTestOptimizer(lr: 1)
        let s = CosineAnnealingLR(opt, tMax: 4, etaMin: 0)
        XCTAssertEqual(lrSequence(s, steps: 4), [0.8535533905932737, 0.5, 0.14644660940672627, 0], accuracy: 1e-15)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
