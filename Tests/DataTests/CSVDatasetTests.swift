import Foundation
import XCTest
@testable import Data

final class CSVDatasetTests: XCTestCase {
    func testParsesFeaturesAndLabelColumn() throws {
        let text = "x, y ,label\n1.5,2,0\n\n-3,4e-1,2\r\n\"5\",6,1\n"
        let d = try CSVDataset(text: text, name: "pts.csv")
        XCTAssertEqual(d.count, 3)
        XCTAssertEqual(d.featureNames, ["x", "y"])
        XCTAssertEqual(d.exampleShape, [2])
        XCTAssertEqual(d.labels, [0, 2, 1])
        XCTAssertEqual(d.classCount, 3)
        let e = try d.example(at: 1)
        XCTAssertEqual(e.input.toArray(), [-3, 0.4])
        XCTAssertEqual(e.label, 2)

        let first = try CSVDataset(text: "7,0.5,0.25\n1,1,2\n", labelColumn: .first, hasHeader: false)
        XCTAssertEqual(first.labels, [7, 1])
        XCTAssertEqual(first.featureNames, ["f0", "f1"])
        XCTAssertEqual(try first.example(at: 0).input.toArray(), [0.5, 0.25])
        let named = try CSVDataset(text: "a;cls;b\n1;3;2\n", labelColumn: .name("cls"), delimiter: ";")
        XCTAssertEqual(named.featureNames, ["a", "b"])
        XCTAssertEqual(named.labels, [3])
        XCTAssertEqual(try named.example(at: 0).input.toArray(), [1, 2])
    }

    func testParseErrorsNameFileLineAndColumn() {
        assertDataError("bad.csv:3: column 2: \"abc\" is not a finite number") {
            _ = try CSVDataset(text: "a,b,label\n1,2,0\n1,abc,0\n", name: "bad.csv")
        }
        assertDataError("bad.csv:2: column 3: label \"1.5\" is not a non-negative integer") {
            _ = try CSVDataset(text: "a,b,label\n1,2,1.5\n", name: "bad.csv")
        }
        assertDataError("bad.csv:4: expected 3 fields, found 2") {
            _ = try CSVDataset(text: "a,b,label\n1,2,0\n\n1,2\n", name: "bad.csv")
        }
        assertDataError("bad.csv:2: column 1: \"nan\" is not a finite number") {
            _ = try CSVDataset(text: "a,label\nnan,0\n", name: "bad.csv")
        }
        assertDataError("bad.csv:1: no column named \"cls\"") {
            _ = try CSVDataset(text: "a,label\n1,0\n", name: "bad.csv", labelColumn: .name("cls"))
        }
        let e = assertDataError("bad.csv:1: no rows") { _ = try CSVDataset(text: "", name: "bad.csv") }
        XCTAssertEqual(e?.path, "bad.csv")
    }

    func testReadsAFileAndReportsAMissingOne() throws {
        let dir = try makeTemporaryFolder(self)
        let url = dir.appendingPathComponent("d.csv")
        try "f,label\n0.5,1\n0.25,0\n".write(to: url, atomically: true, encoding: .utf8)
        let d = try CSVDataset(path: url.path)
        XCTAssertEqual(d.labels, [1, 0])
        XCTAssertEqual(d.path, url.path)
        assertDataError("\(dir.path)/missing.csv: cannot read file") { _ = try CSVDataset(path: dir.path + "/missing.csv") }
        let other = try CSVDataset(text: "f,label\n0.5,1\n0.25,1\n")
        XCTAssertNotEqual(other.fingerprint, d.fingerprint)
    }
}
