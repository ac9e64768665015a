import Foundation
import XCTest
@testable import Data

final class ShapesDatasetTests: XCTestCase {
    func testDrawWritesReproducibleImagesPerClass() throws {
        let root = try makeTemporaryFolder(self)
        let written = try ShapesDataset.draw(to: root, classes: ["star", "ring"], perClass: 2, size: 20, seed: 8)
        XCTAssertEqual(written, ["star/star_00000.png", "star/star_00001.png", "ring/ring_00000.png", "ring/ring_00001.png"])
        let folder = try ImageFolder(root: root, config: .init(height: 20, width: 20))
        XCTAssertEqual(folder.classMap.names, ["ring", "star"])
        let image = try folder.example(at: 0).input.toArray()
        XCTAssertEqual(image, try ShapesDataset.render("ring", size: 20, seed: 8, index: 0).map { Float($0) / 255 })
        XCTAssertEqual(try ShapesDataset.render("ring", size: 20, seed: 8, index: 0),
                       try ShapesDataset.render("ring", size: 20, seed: 8, index: 0))
        XCTAssertNotEqual(try ShapesDataset.render("ring", size: 20, seed: 8, index: 0),
                          try ShapesDataset.render("ring", size: 20, seed: 8, index: 1))
        XCTAssertNotEqual(try ShapesDataset.render("ring", size: 20, seed: 8, index: 0),
                          try ShapesDataset.render("ring", size: 20, seed: 9, index: 0))
    }

    func testEveryShapeDrawsSomethingBrightOnDark() throws {
        XCTAssertGreaterThanOrEqual(ShapesDataset.shapes.count, 5)
        var means: [Double] = []
        for shape in ShapesDataset.shapes {
            let px = try ShapesDataset.render(shape, size: 28, seed: 1, index: 3)
            XCTAssertEqual(px.count, 28 * 28)
            XCTAssertGreaterThan(px.max()!, 150, shape)
            XCTAssertLessThan(px.filter { $0 > 128 }.count, 28 * 28 / 2, shape)
            means.append(Double(px.reduce(0) { $0 + Int($1) }) / 784)
        }
        XCTAssertGreaterThan(Set(means).count, 1)
    }

    func testJPEGOutputAndUnknownShape() throws {
        let root = try makeTemporaryFolder(self)
        let written = try ShapesDataset.draw(to: root, classes: ["cross"], perClass: 1, size: 16, seed: 2, startIndex: 7,
                                             format: .jpeg)
        XCTAssertEqual(written, ["cross/cross_00007.jpg"])
        XCTAssertEqual(try ImageFolder(root: root, config: .init(height: 16, width: 16)).count, 1)
        assertDataError("unknown shape \"hexagon\"") {
            _ = try ShapesDataset.draw(to: root, classes: ["hexagon"], perClass: 1, seed: 0)
        }
    }
}
