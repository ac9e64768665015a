import Foundation
import XCTest
@testable import Data

final class LoaderPositionTests: XCTestCase {
    func testJSONFormKeepsTheFingerprintAsHex() throws {
        let p = LoaderPosition(epoch: 3, batchIndex: 17, seed: 42, batchSize: 32, datasetSize: 6000,
                               fingerprint: 0xFEDC_BA98_7654_3210)
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        let json = String(decoding: try enc.encode(p), as: UTF8.self)
        XCTAssertEqual(json, #"{"batchIndex":17,"batchSize":32,"datasetSize":6000,"epoch":3,"fingerprint":"fedcba9876543210","seed":42}"#)
        XCTAssertEqual(try JSONDecoder().decode(LoaderPosition.self, from: Foundation.Data(json.utf8)), p)
        XCTAssertEqual(p.description, "epoch 3, batch 17")
    }

    func testBadFieldsAreRejected() {
        let bad = #"{"batchIndex":1,"batchSize":32,"datasetSize":6,"epoch":0,"fingerprint":"xyz","seed":1}"#
        XCTAssertThrowsError(try JSONDecoder().decode(LoaderPosition.self, from: Foundation.Data(bad.utf8))) {
            XCTAssertTrue("\($0)".contains("fingerprint \"xyz\" is not 16 hex digits"), "\($0)")
        }
        let negative = #"{"batchIndex":-1,"batchSize":32,"datasetSize":6,"epoch":0,"fingerprint":"0000000000000001","seed":1}"#
        XCTAssertThrowsError(try JSONDecoder().decode(LoaderPosition.self, from: Foundation.Data(negative.utf8)))
    }
}
