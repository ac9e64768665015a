import XCTest
@testable import Checkpoint

final class CheckpointVersionTests: XCTestCase {
    func testFormatVersionIsPositive() {
        XCTAssertGreaterThan(CheckpointVersion.format, 0)
        XCTAssertFalse(CheckpointVersion.toolkit.isEmpty)
    }
}
