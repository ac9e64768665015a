import Foundation
import XCTest
@testable import Data

final class ClassMapTests: XCTestCase {
    func testFreshMapSortsByCodePoint() {
        let m = ClassMap(sorting: ["dog", "Cat", "ant", "émeu", "dog"])
        XCTAssertEqual(m.names, ["Cat", "ant", "dog", "émeu"])
        XCTAssertEqual(m.index(of: "dog"), 2)
        XCTAssertNil(m.index(of: "bird"))
        XCTAssertEqual(m.name(at: 3), "émeu")
    }

    func testAddingAppendsNewNamesSortedWithoutRenumbering() {
        var m = ClassMap(names: ["circle", "square", "triangle"])
        let added = m.add(["star", "cross", "square", "cross"])
        XCTAssertEqual(added, ["cross", "star"])
        XCTAssertEqual(m.names, ["circle", "square", "triangle", "cross", "star"])
        XCTAssertEqual(m.index(of: "square"), 1)
        XCTAssertEqual(m.index(of: "star"), 4)
        XCTAssertEqual(m.add(["circle"]), [])
        XCTAssertEqual(m.count, 5)
    }

    func testCodableRoundTripAndDuplicateRejection() throws {
        let m = ClassMap(names: ["b", "a"])
        let data = try JSONEncoder().encode(m)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"{"classes":["b","a"]}"#)
        let back = try JSONDecoder().decode(ClassMap.self, from: data)
        XCTAssertEqual(back, m)
        XCTAssertEqual(back.index(of: "a"), 1)
        XCTAssertThrowsError(try JSONDecoder().decode(ClassMap.self, from: Foundation.Data(#"{"classes":["a","b","a"]}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("class \"a\" appears twice"), "\($0)")
        }
    }
}
