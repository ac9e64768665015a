import Foundation
import XCTest
@testable import Data

final class ImageDecoderTests: XCTestCase {
    func testPNGRoundTripsExactlyInEveryChannelLayout() throws {
        let dir = try makeTemporaryFolder(self)
        for channels in 1...4 {
            let values: [UInt8] = (0..<(15 * channels)).map { (i: Int) -> UInt8 in UInt8((i * 37 + 11) % 256) }
            try writeImage(values, width: 5, height: 3, channels: channels, format: .png, at: dir, "img\(channels).png")
            let path = dir.appendingPathComponent("img\(channels).png").path
            let image = try ImageDecoder.decode(try ImageDecoder.readFile(path, limit: 1 << 20), path: path,
                                                wantGray: false, maxPixels: 100)
            XCTAssertEqual([image.width, image.height, image.channels], [5, 3, channels])
            XCTAssertEqual(image.pixels, values)
        }
    }

    func testJPEGDecodesCloseToWhatWasWritten() throws {
        let dir = try makeTemporaryFolder(self)
        // A smooth gradient survives JPEG compression within a few levels.
        let gray: [UInt8] = (0..<256).map { (i: Int) -> UInt8 in UInt8(i % 16 * 8 + i / 16 * 4) }
        try writeImage(gray, width: 16, height: 16, channels: 1, format: .jpeg, at: dir, "g.jpg")
        var rgb: [UInt8] = []
        for i in 0..<256 { rgb += [UInt8(i % 16 * 10), 100, UInt8(200 - i / 16 * 5)] }
        try writeImage(rgb, width: 16, height: 16, channels: 3, format: .jpeg, at: dir, "c.jpg")

        let gPath = dir.appendingPathComponent("g.jpg").path
        let g = try ImageDecoder.decode(try ImageDecoder.readFile(gPath, limit: 1 << 20), path: gPath, wantGray: false, maxPixels: 1000)
        XCTAssertEqual([g.width, g.height, g.channels], [16, 16, 1])
        XCTAssertLessThanOrEqual(zip(g.pixels, gray).map { abs(Int($0) - Int($1)) }.max()!, 6)

        let cPath = dir.appendingPathComponent("c.jpg").path
        let c = try ImageDecoder.decode(try ImageDecoder.readFile(cPath, limit: 1 << 20), path: cPath, wantGray: false, maxPixels: 1000)
        XCTAssertEqual([c.width, c.height, c.channels], [16, 16, 3])
        XCTAssertLessThanOrEqual(zip(c.pixels, rgb).map { abs(Int($0) - Int($1)) }.max()!, 12)
        // Asking for gray takes libjpeg's luma channel directly.
        let y = try ImageDecoder.decode(try ImageDecoder.readFile(cPath, limit: 1 << 20), path: cPath, wantGray: true, maxPixels: 1000)
        XCTAssertEqual(y.channels, 1)
    }

    func testTruncatedJPEGIsCorruptNotGrayFilled() throws {
        let dir = try makeTemporaryFolder(self)
        let gray: [UInt8] = (0..<1024).map { (i: Int) -> UInt8 in UInt8(i % 251) }
        try writeImage(gray, width: 32, height: 32, channels: 1, format: .jpeg, at: dir, "full.jpg")
        let bytes = try readBytes(dir.appendingPathComponent("full.jpg"))
        let cut = Array(bytes.prefix(bytes.count / 2))
        assertDataError("cut.jpg: corrupt image: Premature end of JPEG file") {
            _ = try ImageDecoder.decode(cut, path: "cut.jpg", wantGray: true, maxPixels: 10_000)
        }
    }

    func testCMYKJPEGIsAChannelMismatch() throws {
        let dir = try makeTemporaryFolder(self)
        try writeImage([UInt8](repeating: 128, count: 8 * 8 * 4), width: 8, height: 8, channels: 4, format: .jpeg,
                       at: dir, "cmyk.jpg")
        let path = dir.appendingPathComponent("cmyk.jpg").path
        let e = assertDataError("cmyk.jpg: image is a 4-component CMYK JPEG, which cannot be converted to RGB") {
            _ = try ImageDecoder.decode(try ImageDecoder.readFile(path, limit: 1 << 20), path: path, wantGray: false, maxPixels: 100)
        }
        XCTAssertEqual(e?.path, path)
    }

    func testHeaderOverThePixelLimitIsRejectedBeforeDecoding() throws {
        let dir = try makeTemporaryFolder(self)
        try writeGrayPNG([UInt8](repeating: 7, count: 64), width: 8, height: 8, at: dir, "small.png")
        let huge = pngWithLyingHeader(try readBytes(dir.appendingPathComponent("small.png")), width: 100_000, height: 100_000)
        let e = assertDataError("huge.png: header declares 100000x100000 pixels, over the limit of 67108864") {
            _ = try ImageDecoder.decode(huge, path: "huge.png", wantGray: true, maxPixels: 1 << 26)
        }
        XCTAssertEqual(e, .imageTooLarge(path: "huge.png", width: 100_000, height: 100_000, limit: 1 << 26))
        // The header-only check catches it too.
        assertDataError("over the limit") {
            _ = try ImageDecoder.decode(huge, path: "huge.png", wantGray: true, maxPixels: 1 << 26, headerOnly: true)
        }
    }

    func testHeaderThatOverstatesTheSizeFailsWhenDecoding() throws {
        let dir = try makeTemporaryFolder(self)
        try writeGrayPNG([UInt8](repeating: 7, count: 64), width: 8, height: 8, at: dir, "small.png")
        let lying = pngWithLyingHeader(try readBytes(dir.appendingPathComponent("small.png")), width: 64, height: 64)
        // The header alone looks fine …
        let header = try ImageDecoder.decode(lying, path: "lying.png", wantGray: true, maxPixels: 1 << 26, headerOnly: true)
        XCTAssertEqual([header.width, header.height], [64, 64])
        // … but the data does not fill it.
        assertDataError("lying.png: corrupt image:") {
            _ = try ImageDecoder.decode(lying, path: "lying.png", wantGray: true, maxPixels: 1 << 26)
        }
    }

    func testGarbageEmptyAndMissingFilesNameTheFile() throws {
        let dir = try makeTemporaryFolder(self)
        assertDataError("junk.png: not a PNG or JPEG image: it starts with bytes 68 65 6c 6c 6f") {
            _ = try ImageDecoder.decode(Array("hello world".utf8), path: "junk.png", wantGray: true, maxPixels: 100)
        }
        assertDataError("empty.png: not a PNG or JPEG image: the file is empty") {
            _ = try ImageDecoder.decode([], path: "empty.png", wantGray: true, maxPixels: 100)
        }
        // A PNG signature followed by garbage.
        assertDataError("bad.png: corrupt image:") {
            _ = try ImageDecoder.decode(ImageDecoder.pngSignature + [UInt8](repeating: 0x41, count: 40), path: "bad.png",
                                        wantGray: true, maxPixels: 100)
        }
        let missing = dir.appendingPathComponent("missing.png").path
        assertDataError("missing.png: cannot read file: No such file or directory") {
            _ = try ImageDecoder.readFile(missing, limit: 100)
        }
        try writeBytes([UInt8](repeating: 1, count: 101), at: dir, "big.png")
        let e = assertDataError("big.png: file is 101 bytes, over the limit of 100 bytes") {
            _ = try ImageDecoder.readFile(dir.appendingPathComponent("big.png").path, limit: 100)
        }
        XCTAssertEqual(e?.path, dir.appendingPathComponent("big.png").path)
    }

    func testPlanarConversionFollowsTheDocumentedRules() {
        // RGB → gray uses Pillow's integer luma; gray → RGB repeats; alpha is dropped.
        let rgba = DecodedImage(width: 2, height: 1, channels: 4, pixels: [255, 0, 0, 255, 10, 200, 30, 255])
        var gray = [Float](repeating: -1, count: 2)
        gray.withUnsafeMutableBufferPointer { rgba.writePlanar(channels: 1, to: $0.baseAddress!) }
        let l0 = (255 * 19595 + 0x8000) >> 16, l1 = (10 * 19595 + 200 * 38470 + 30 * 7471 + 0x8000) >> 16
        XCTAssertEqual(gray, [Float(l0) / 255, Float(l1) / 255])
        XCTAssertFalse(rgba.hasTranslucentPixels)

        let ga = DecodedImage(width: 2, height: 1, channels: 2, pixels: [51, 128, 102, 255])
        XCTAssertTrue(ga.hasTranslucentPixels)
        var rgb = [Float](repeating: -1, count: 6)
        rgb.withUnsafeMutableBufferPointer { ga.writePlanar(channels: 3, to: $0.baseAddress!) }
        XCTAssertEqual(rgb, [51, 102, 51, 102, 51, 102].map { Float($0) / 255 })
    }
}
