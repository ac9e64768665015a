import CairnTestSupport
import Foundation
import XCTest
@testable import Training

/// Replays the inputs that `scripts/fuzz.sh` saved in Tests/Fixtures/fuzz-regressions/yaml: each
/// one once crashed or hung the config loader and must now fail with a `ConfigError` naming the file.
final class FuzzRegressionTests: XCTestCase {
    func testSavedYAMLInputsFailWithTypedErrors() throws {
        let dir = fixtureURL("fuzz-regressions/yaml")
        guard FileManager.default.fileExists(atPath: dir.path) else { throw XCTSkip("no saved yaml inputs") }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        guard !names.isEmpty else { throw XCTSkip("no saved yaml inputs") }
        for name in names {
            let url = dir.appendingPathComponent(name)
            do {
                _ = try RunConfig.load(path: url.path)
                XCTFail("\(name): loaded without an error")
            } catch let e as ConfigError {
                XCTAssertTrue("\(e)".contains(name), "\(name): message does not name the file: \(e)")
            } catch {
                XCTFail("\(name): untyped error \(error)")
            }
        }
    }
}
