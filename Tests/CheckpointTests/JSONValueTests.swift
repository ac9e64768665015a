import Foundation
import XCTest
import Checkpoint

final class JSONValueTests: XCTestCase {
    func testRoundTripAndNumericEquality() throws {
        let v: JSONValue = ["a": 1, "b": 2.5, "c": [true, nil, "s"], "d": ["x": -3]]
        let back = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(v))
        XCTAssertEqual(back, v)
        XCTAssertEqual(back["a"], .int(1))
        XCTAssertEqual(back["b"]?.doubleValue, 2.5)
        XCTAssertEqual(JSONValue.int(2), JSONValue.number(2))
        XCTAssertNotEqual(JSONValue.int(2), JSONValue.string("2"))
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data("12345678901234".utf8)), .int(12_345_678_901_234))
        let inf = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(JSONValue.number(.infinity)))
        XCTAssertEqual(inf, .string("inf"))
    }

    func testEncodingAndDecodingTypedValues() throws {
        struct Pos: Codable, Equatable { var epoch: Int; var index: Int; var order: [Int] }
        let p = Pos(epoch: 2, index: 40, order: [3, 1, 2])
        let v = try JSONValue(encoding: p)
        XCTAssertEqual(v["index"]?.intValue, 40)
        XCTAssertEqual(try v.decode(Pos.self), p)
    }
}
