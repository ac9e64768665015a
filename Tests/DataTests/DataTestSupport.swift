import Foundation
import XCTest
@testable import Data

/// A fresh empty folder under the temporary directory, removed when the test finishes.
func makeTemporaryFolder(_ test: XCTestCase, _ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("cairn-data-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Writes a gray PNG of `values` (row-major, `height` rows) at `folder/relative`, creating folders.
func writeGrayPNG(_ values: [UInt8], width: Int, height: Int, at folder: URL, _ relative: String) throws {
    try writeImage(values, width: width, height: height, channels: 1, format: .png, at: folder, relative)
}

/// Writes an image file at `folder/relative`, creating folders.
func writeImage(_ values: [UInt8], width: Int, height: Int, channels: Int, format: ImageWriter.Format,
                at folder: URL, _ relative: String) throws {
    let url = folder.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try ImageWriter.write(values, width: width, height: height, channels: channels, format: format, to: url.path)
}

/// Writes raw bytes at `folder/relative`, creating folders.
func writeBytes(_ bytes: [UInt8], at folder: URL, _ relative: String) throws {
    let url = folder.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Foundation.Data(bytes).write(to: url)
}

/// The bytes of a file.
func readBytes(_ url: URL) throws -> [UInt8] { [UInt8](try Foundation.Data(contentsOf: url)) }

/// PNG/zlib CRC-32 (reflected polynomial 0xEDB88320).
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

/// A PNG file's bytes with the IHDR width and height replaced and the chunk CRC fixed, so only the
/// pixel data contradicts the header.
func pngWithLyingHeader(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
    var b = png
    precondition(Array(b[12..<16]) == Array("IHDR".utf8), "not a PNG with IHDR first")
    for i in 0..<4 {
        b[16 + i] = UInt8(truncatingIfNeeded: width >> (24 - 8 * i))
        b[20 + i] = UInt8(truncatingIfNeeded: height >> (24 - 8 * i))
    }
    let crc = crc32(b[12..<29])
    for i in 0..<4 { b[29 + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
    return b
}

/// Asserts that `body` throws a `DataError` whose description contains `fragment`; returns it.
@discardableResult
func assertDataError(_ fragment: String, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> Void) -> DataError? {
    do {
        try body()
        XCTFail("expected a DataError containing \"\(fragment)\"", file: file, line: line)
    } catch let e as DataError {
        XCTAssertTrue(e.description.contains(fragment), "\"\(e.description)\" does not contain \"\(fragment)\"",
                      file: file, line: line)
        return e
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: line)
    }
    return nil
}
