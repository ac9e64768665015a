import XCTest
import TensorCore
@testable import Data

final class TensorDatasetTests: XCTestCase {
    func testExamplesComeBackInOrder() throws {
        let d = TensorDataset(inputs: Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2]), labels: [0, 1, 0])
        XCTAssertEqual(d.count, 3)
        XCTAssertEqual(d.exampleShape, [2])
        let e = try d.example(at: 1)
        XCTAssertEqual(e.input.toArray(), [3, 4])
        XCTAssertEqual(e.label, 1)
    }

    func testNonContiguousInputsAreCopiedAndFingerprinted() throws {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).transposed(0, 1)  // [3, 2] view
        let d = TensorDataset(inputs: t, labels: [0, 1, 2])
        XCTAssertEqual(try d.example(at: 2).input.toArray(), [3, 6])
        let same = TensorDataset(inputs: Tensor([1, 4, 2, 5, 3, 6], shape: [3, 2]), labels: [0, 1, 2])
        XCTAssertEqual(same.fingerprint, d.fingerprint)
        let other = TensorDataset(inputs: Tensor([1, 4, 2, 5, 3, 7], shape: [3, 2]), labels: [0, 1, 2])
        XCTAssertNotEqual(other.fingerprint, d.fingerprint)
    }
}
