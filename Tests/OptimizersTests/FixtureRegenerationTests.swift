import Foundation
import XCTest

/// Regenerates the PyTorch fixtures with real torch (when installed) and compares with the committed ones.
final class FixtureRegenerationTests: XCTestCase {
    func testFixturesRegenerateFromTorch() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard run(["python3", "-c", "import torch, safetensors, numpy"], in: root).status == 0 else {
            throw XCTSkip("torch/safetensors/numpy not installed: fixtures are checked from the committed files only")
        }
        let (status, output) = run(["python3", "scripts/make_fixtures.py", "--check"], in: root)
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertFalse(lines.contains { $0.hasPrefix("missing:") || $0.hasPrefix("stale") }, output)
        if status != 0 {
            // A different CPU may round BLAS/convolution sums differently in the last bits; anything
            // larger than that is a real change of PyTorch's behaviour or of the generator.
            let diffs = lines.filter { $0.hasPrefix("differs:") }
            XCTAssertFalse(diffs.isEmpty, "make_fixtures.py --check failed:\n\(output)")
            for line in diffs {
                let values = line.components(separatedBy: "max |diff| ").dropFirst()
                    .compactMap { Double($0.prefix { "0123456789.e-+".contains($0) }) }
                XCTAssertFalse(values.isEmpty, line)
                XCTAssertTrue(values.allSatisfy { $0 < 1e-4 }, line)
            }
        } else {
            XCTAssertTrue(output.contains("fixture files match"), output)
        }
    }

    private func run(_ args: [String], in dir: URL) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = dir
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
