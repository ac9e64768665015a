import XCTest
@testable import Training

final class TrainingInfoTests: XCTestCase {
    func testNameIsStable() { XCTAssertEqual(TrainingInfo.name, "cairn-training") }
}
