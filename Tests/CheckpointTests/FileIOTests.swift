import Foundation
import XCTest
@testable import Checkpoint

final class FileIOTests: XCTestCase {
    func testDigestMatchesKnownSHA256() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("abc").path
        try FileIO.write(Array("abc".utf8), to: path, fsync: true)
        let d = try FileIO.digest(path)
        XCTAssertEqual(d.size, 3)
        XCTAssertEqual(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Files are created exclusively: an existing name is an error, never overwritten.
        XCTAssertThrowsError(try FileIO.write([1], to: path, fsync: false))
    }

    func testExchangeSwapsTwoDirectoriesWhenSupported() throws {
        let dir = try makeTempDirectory(self)
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        for (url, text) in [(a, "old"), (b, "new")] {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url.appendingPathComponent("f"))
        }
        guard try FileIO.exchange(b.path, a.path) else {
            throw XCTSkip("this file system has no RENAME_EXCHANGE; saves fall back to rename via .trash-")
        }
        XCTAssertEqual(try String(contentsOf: a.appendingPathComponent("f"), encoding: .utf8), "new")
        XCTAssertEqual(try String(contentsOf: b.appendingPathComponent("f"), encoding: .utf8), "old")
    }
}
