import CairnTestSupport
import Foundation
import XCTest
@testable import TensorCore

/// Replays the inputs that `scripts/fuzz.sh` saved in Tests/Fixtures/fuzz-regressions/safetensors:
/// each one once crashed, leaked or hung the parser and must now fail with a `SafetensorsError`
/// naming the file.
final class FuzzRegressionTests: XCTestCase {
    func testSavedSafetensorsInputsFailWithTypedErrors() throws {
        let dir = fixtureURL("fuzz-regressions/safetensors")
        guard FileManager.default.fileExists(atPath: dir.path) else { throw XCTSkip("no saved safetensors inputs") }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        guard !names.isEmpty else { throw XCTSkip("no saved safetensors inputs") }
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name)))
            let source = "fuzz-\(name).safetensors"
            do {
                _ = try SafetensorsFile(bytes: bytes, source: source).tensors()
                XCTFail("\(name): parsed without an error")
            } catch let e as SafetensorsError {
                XCTAssertTrue("\(e)".contains(source), "\(name): message does not name the file: \(e)")
            } catch {
                XCTFail("\(name): untyped error \(error)")
            }
        }
    }
}
