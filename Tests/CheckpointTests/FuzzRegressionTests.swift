import Foundation
import TensorCore
import XCTest
@testable import Checkpoint
import CairnTestSupport

/// Replays the inputs that `scripts/fuzz.sh` saved in Tests/Fixtures/fuzz-regressions/{zip,pickle}:
/// each one once crashed, leaked or hung a parser and must now fail with a `TorchFileError` that
/// names the file.
final class FuzzRegressionTests: XCTestCase {
    /// The saved inputs of one fuzz target, by file name (none when the folder does not exist).
    private func savedInputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let dir = fixtureURL("fuzz-regressions/\(target)")
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted().map {
            ($0, try [UInt8](Data(contentsOf: dir.appendingPathComponent($0))))
        }
    }

    /// The storage loader of the pickle harness (Fuzz/Pickle/main.swift): every storage exists with
    /// exactly the declared elements, up to 1 MiB.
    private func provider(_ ref: StorageReference, _ dtype: TorchDType, _ offset: Int) throws -> Storage {
        let unit = ref.dtype == nil ? 1 : dtype.elementSize
        let (bytes, overflow) = ref.numel.multipliedReportingOverflow(by: unit)
        guard !overflow, bytes >= 0, bytes <= 1 << 20, bytes % dtype.elementSize == 0 else {
            throw TorchFileError.storageSizeMismatch(file: "p.pt", record: "archive/data/" + ref.key,
                                                     expectedBytes: overflow ? nil : bytes, foundBytes: 0, offset: offset)
        }
        return [UInt8](repeating: 0, count: bytes).withUnsafeBytes { TorchFile.makeStorage($0, dtype: dtype, bigEndian: false) }
    }

    func testSavedPickleInputsFailWithTypedErrors() throws {
        let inputs = try savedInputs("pickle")
        guard !inputs.isEmpty else { throw XCTSkip("no saved pickle inputs") }
        for input in inputs {
            let source = "fuzz-\(input.name).pt"
            let error = assertTorchFileError(try input.bytes.withUnsafeBytes { raw in
                var reader = PickleReader(bytes: raw, file: source, record: "archive/data.pkl", limits: .default,
                                          storageProvider: provider)
                return try reader.read()
            })
            if let error { XCTAssertTrue("\(error)".contains(source), "\(input.name): message does not name the file: \(error)") }
        }
    }

    func testSavedZipInputsFailWithTypedErrors() throws {
        let inputs = try savedInputs("zip")
        guard !inputs.isEmpty else { throw XCTSkip("no saved zip inputs") }
        for input in inputs {
            let source = "fuzz-\(input.name).pt"
            let error = assertTorchFileError(try TorchFile.deserialize(input.bytes, source: source))
            if let error { XCTAssertTrue("\(error)".contains(source), "\(input.name): message does not name the file: \(error)") }
        }
    }
}
