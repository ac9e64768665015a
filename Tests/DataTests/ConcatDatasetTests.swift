import XCTest
import TensorCore
@testable import Data

final class ConcatDatasetTests: XCTestCase {
    func testIndicesRunThroughThePartsInOrder() throws {
        let a = TensorDataset(inputs: Tensor([1, 2, 3, 4], shape: [2, 2]), labels: [0, 1])
        let empty = TensorDataset(inputs: Tensor(zeros: [0, 2]), labels: [])
        let b = TensorDataset(inputs: Tensor([5, 6, 7, 8, 9, 10], shape: [3, 2]), labels: [2, 3, 4])
        let c = ConcatDataset([a, empty, b])
        XCTAssertEqual(c.count, 5)
        XCTAssertEqual(c.exampleShape, [2])
        XCTAssertEqual(c.offsets, [0, 2, 2, 5])
        XCTAssertEqual(c.locate(2).part, 2)
        XCTAssertEqual(c.locate(2).index, 0)
        XCTAssertEqual(try (0..<5).map { try c.example(at: $0).label }, [0, 1, 2, 3, 4])
        XCTAssertEqual(try c.example(at: 4).input.toArray(), [9, 10])
        XCTAssertNotEqual(ConcatDataset([b, a]).fingerprint, c.fingerprint)
    }

    func testPartsKeepTheirOwnNormalization() throws {
        let root = try makeTemporaryFolder(self)
        try writeGrayPNG([255], width: 1, height: 1, at: root.appendingPathComponent("x"), "a/1.png")
        try writeGrayPNG([255], width: 1, height: 1, at: root.appendingPathComponent("y"), "a/1.png")
        let plain = try ImageFolder(root: root.appendingPathComponent("x"), config: .init(height: 1, width: 1))
        let norm = try ImageFolder(root: root.appendingPathComponent("y"),
                                   config: .init(height: 1, width: 1, normalization: .init(mean: [0.5], std: [0.25])))
        let c = ConcatDataset([plain, norm])
        XCTAssertEqual(try c.example(at: 0).input.toArray(), [1])
        XCTAssertEqual(try c.example(at: 1).input.toArray(), [2])
    }
}
