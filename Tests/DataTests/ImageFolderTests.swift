import Foundation
import XCTest
import TensorCore
@testable import Data

final class ImageFolderTests: XCTestCase {
    let pixels3x4: [UInt8] = [0, 50, 100, 150, 200, 250, 25, 75, 125, 175, 225, 255]

    func testScanOrdersByClassIndexThenPathAndIgnoresOtherFiles() throws {
        let root = try makeTemporaryFolder(self)
        for (rel, v) in [("dog/b.png", 1), ("dog/a.png", 2), ("cat/z.png", 3), ("cat/sub/a.png", 4), ("cat/Y.PNG", 5)] {
            try writeGrayPNG([UInt8](repeating: UInt8(v), count: 4), width: 2, height: 2, at: root, rel)
        }
        try writeBytes(Array("notes".utf8), at: root, "cat/readme.txt")
        try writeGrayPNG([9, 9, 9, 9], width: 2, height: 2, at: root, "cat/.hidden.png")
        try writeGrayPNG([9, 9, 9, 9], width: 2, height: 2, at: root, ".trash/x.png")
        try writeGrayPNG([9, 9, 9, 9], width: 2, height: 2, at: root, "loose.png")

        let folder = try ImageFolder(root: root, config: .init(height: 2, width: 2))
        XCTAssertEqual(folder.classMap.names, ["cat", "dog"])
        XCTAssertEqual(folder.entries.map(\.relativePath), ["cat/Y.PNG", "cat/sub/a.png", "cat/z.png", "dog/a.png", "dog/b.png"])
        XCTAssertEqual(folder.entries.map(\.label), [0, 0, 0, 1, 1])
        XCTAssertEqual(folder.classCounts, [3, 2])
        XCTAssertTrue(folder.warnings.isEmpty, "\(folder.warnings)")
        XCTAssertEqual(folder.exampleShape, [1, 2, 2])
        let e = try folder.example(at: 1)
        XCTAssertEqual(e.input.shape, [1, 2, 2])
        XCTAssertEqual(e.input.toArray(), [Float](repeating: Float(4) / 255, count: 4))
        XCTAssertEqual(e.label, 0)
    }

    func testPixelsScaleToUnitRangeAndResizeMatchesPyTorch() throws {
        let root = try makeTemporaryFolder(self)
        try writeGrayPNG(pixels3x4, width: 4, height: 3, at: root, "a/img.png")
        let same = try ImageFolder(root: root, config: .init(height: 3, width: 4))
        XCTAssertEqual(try same.example(at: 0).input.toArray(), pixels3x4.map { Float($0) / 255 })

        // F.interpolate(x / 255, size=(2, 3), mode="bilinear", align_corners=False).
        let small = try ImageFolder(root: root, config: .init(height: 2, width: 3))
        let expected: [Float] = [0.22875817120075226, 0.3553921580314636, 0.48202621936798096,
                                 0.5964052081108093, 0.7230392098426819, 0.8006536364555359]
        for (a, b) in zip(try small.example(at: 0).input.toArray(), expected) { XCTAssertEqual(a, b, accuracy: 2e-7) }
    }

    func testNormalizationAppliesOnlyWhenConfigured() throws {
        let root = try makeTemporaryFolder(self)
        try writeGrayPNG(pixels3x4, width: 4, height: 3, at: root, "a/img.png")
        let plain = try ImageFolder(root: root, config: .init(height: 3, width: 4))
        let raw = try plain.example(at: 0).input.toArray()
        XCTAssertEqual(raw.min(), 0)
        XCTAssertEqual(raw.max(), 1)

        let norm = Normalization(mean: [0.1307], std: [0.3081])
        let normalized = try ImageFolder(root: root, config: .init(height: 3, width: 4, normalization: norm))
        XCTAssertEqual(try normalized.example(at: 0).input.toArray(), raw.map { ($0 - 0.1307) / 0.3081 })

        // The loader normalizes too, and only the configured dataset.
        let batch = try DataLoader(dataset: normalized, config: .init(batchSize: 1, shuffle: false, prefetch: 0)).next()!
        XCTAssertEqual(batch.inputs.toArray(), raw.map { ($0 - 0.1307) / 0.3081 })
        let plainBatch = try DataLoader(dataset: plain, config: .init(batchSize: 1, shuffle: false, prefetch: 0)).next()!
        XCTAssertEqual(plainBatch.inputs.toArray(), raw)

        assertDataError("normalization has 3 means and 3 stds for 1 channel(s)") {
            _ = try ImageFolder(root: root, config: .init(height: 3, width: 4,
                                                          normalization: .init(mean: [0, 0, 0], std: [1, 1, 1])))
        }
    }

    func testChannelConversions() throws {
        let root = try makeTemporaryFolder(self)
        try writeImage([10, 200, 30, 250, 0, 5], width: 2, height: 1, channels: 3, format: .png, at: root, "rgb/a.png")
        try writeImage([77, 255, 99, 255], width: 2, height: 1, channels: 2, format: .png, at: root, "opaque/a.png")
        try writeGrayPNG([60, 120], width: 2, height: 1, at: root, "gray/a.png")

        let gray = try ImageFolder(root: root, config: .init(height: 1, width: 2, color: .gray))
        XCTAssertEqual(gray.classMap.names, ["gray", "opaque", "rgb"])
        func luma(_ r: Int, _ g: Int, _ b: Int) -> Float { Float((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255 }
        XCTAssertEqual(try gray.example(at: 2).input.toArray(), [luma(10, 200, 30), luma(250, 0, 5)])
        XCTAssertEqual(try gray.example(at: 1).input.toArray(), [77, 99].map { Float($0) / 255 })

        let rgb = try ImageFolder(root: root, config: .init(height: 1, width: 2, color: .rgb))
        XCTAssertEqual(try rgb.example(at: 0).input.toArray(), [60, 120, 60, 120, 60, 120].map { Float($0) / 255 })
        XCTAssertEqual(try rgb.example(at: 2).input.toArray(), [10, 250, 200, 0, 30, 5].map { Float($0) / 255 })
        XCTAssertEqual(try rgb.example(at: 2).input.shape, [3, 1, 2])
    }

    func testSavedClassMapKeepsIndicesWhenClassesAreAdded() throws {
        let root = try makeTemporaryFolder(self)
        try ShapesDataset.draw(to: root, classes: ["square", "circle"], perClass: 2, size: 8, seed: 1)
        let first = try ImageFolder(root: root, config: .init(height: 8, width: 8))
        XCTAssertEqual(first.classMap.names, ["circle", "square"])
        let saved = try JSONEncoder().encode(first.classMap)
        XCTAssertEqual(String(decoding: saved, as: UTF8.self), #"{"classes":["circle","square"]}"#)

        // "cross" and "diamond" sort between and before the old names.
        try ShapesDataset.draw(to: root, classes: ["diamond", "cross"], perClass: 1, size: 8, seed: 1)
        let restored = try JSONDecoder().decode(ClassMap.self, from: saved)
        let grown = try ImageFolder(root: root, config: .init(height: 8, width: 8), classMap: restored)
        XCTAssertEqual(grown.classMap.names, ["circle", "square", "cross", "diamond"])
        XCTAssertEqual(grown.entries.filter { $0.relativePath.hasPrefix("square/") }.map(\.label), [1, 1])
        XCTAssertEqual(grown.entries.map(\.label), [0, 0, 1, 1, 2, 3])
        // A fresh scan (like torchvision's sorted ImageFolder) would have renumbered "square".
        let fresh = try ImageFolder(root: root, config: .init(height: 8, width: 8))
        XCTAssertEqual(fresh.classMap.names, ["circle", "cross", "diamond", "square"])
    }

    func testRescanPicksUpAddedImagesAndClassesInDeterministicOrder() throws {
        let root = try makeTemporaryFolder(self)
        try ShapesDataset.draw(to: root, classes: ["square", "circle"], perClass: 2, size: 8, seed: 3)
        var folder = try ImageFolder(root: root, config: .init(height: 8, width: 8))
        let before = folder.fingerprint
        XCTAssertEqual(folder.count, 4)

        try ShapesDataset.draw(to: root, classes: ["square"], perClass: 1, size: 8, seed: 3, startIndex: 2)
        try ShapesDataset.draw(to: root, classes: ["triangle", "cross"], perClass: 2, size: 8, seed: 3)
        try FileManager.default.removeItem(at: root.appendingPathComponent("circle/circle_00000.png"))
        let report = try folder.rescan()

        XCTAssertEqual(report.addedClasses, ["cross", "triangle"])
        XCTAssertEqual(report.addedImages, ["square/square_00002.png", "cross/cross_00000.png", "cross/cross_00001.png",
                                            "triangle/triangle_00000.png", "triangle/triangle_00001.png"])
        XCTAssertEqual(report.removedImages, ["circle/circle_00000.png"])
        XCTAssertTrue(report.changed)
        XCTAssertEqual(folder.classMap.names, ["circle", "square", "cross", "triangle"])
        XCTAssertEqual(folder.entries.map(\.relativePath), [
            "circle/circle_00001.png", "square/square_00000.png", "square/square_00001.png", "square/square_00002.png",
            "cross/cross_00000.png", "cross/cross_00001.png", "triangle/triangle_00000.png", "triangle/triangle_00001.png",
        ])
        XCTAssertNotEqual(folder.fingerprint, before)

        // The order is a function of (class map, files): a new scan with the same map agrees exactly.
        let again = try ImageFolder(root: root, config: .init(height: 8, width: 8),
                                    classMap: ClassMap(names: ["circle", "square"]))
        XCTAssertEqual(again.entries, folder.entries)
        XCTAssertEqual(again.fingerprint, folder.fingerprint)
        // Nothing changed: an empty report.
        let quiet = try folder.rescan()
        XCTAssertFalse(quiet.changed)
        XCTAssertEqual(quiet.addedImages, [])
    }

    /// A folder with one good class and one bad file or folder of each kind.
    func makeBadFolder() throws -> (URL, [String: String]) {
        let root = try makeTemporaryFolder(self)
        try ShapesDataset.draw(to: root, classes: ["circle"], perClass: 2, size: 8, seed: 5)
        try writeBytes(Array("definitely not a png".utf8), at: root, "circle/corrupt.png")
        try writeGrayPNG([1, 2, 3, 4], width: 2, height: 2, at: root, "circle/tmp.png")
        let small = try readBytes(root.appendingPathComponent("circle/tmp.png"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("circle/tmp.png"))
        try writeBytes(pngWithLyingHeader(small, width: 100_000, height: 100_000), at: root, "circle/huge.png")
        try writeImage([9, 9, 9, 0, 8, 8, 8, 255], width: 2, height: 1, channels: 4, format: .png, at: root, "circle/rgba.png")
        try writeImage([UInt8](repeating: 50, count: 8 * 8 * 4), width: 8, height: 8, channels: 4, format: .jpeg,
                       at: root, "circle/cmyk.jpg")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let p = root.standardizedFileURL.path
        return (root, [
            "corrupt": "\(p)/circle/corrupt.png: not a PNG or JPEG image",
            "huge": "\(p)/circle/huge.png: header declares 100000x100000 pixels",
            "rgba": "\(p)/circle/rgba.png: image is RGBA with translucent pixels, which cannot be converted to gray",
            "cmyk": "\(p)/circle/cmyk.jpg: image is a 4-component CMYK JPEG, which cannot be converted to gray",
            "empty": "\(p)/empty: class folder has no images",
        ])
    }

    func testBadInputIsSkippedWithAWarningNamingTheFile() throws {
        let (root, expected) = try makeBadFolder()
        // A full decode at scan time catches everything up front.
        let verified = try ImageFolder(root: root, config: .init(height: 8, width: 8, verify: .decode))
        XCTAssertEqual(verified.entries.map(\.relativePath), ["circle/circle_00000.png", "circle/circle_00001.png"])
        XCTAssertEqual(verified.classMap.names, ["circle"])
        let messages = verified.warnings.map(\.message)
        XCTAssertEqual(messages.count, expected.count, "\(messages)")
        for (kind, fragment) in expected {
            XCTAssertTrue(messages.contains { $0.hasPrefix(fragment) }, "\(kind): \(fragment) not in \(messages)")
        }
        XCTAssertTrue(verified.warnings.allSatisfy { $0.message.hasPrefix($0.path) })

        // A header check cannot see translucent pixels: that file is skipped when its batch is decoded.
        let headerOnly = try ImageFolder(root: root, config: .init(height: 8, width: 8, verify: .header))
        XCTAssertEqual(headerOnly.entries.map(\.relativePath),
                       ["circle/circle_00000.png", "circle/circle_00001.png", "circle/rgba.png"])
        XCTAssertEqual(headerOnly.warnings.count, expected.count - 1)
        let batch = try DataLoader(dataset: headerOnly, config: .init(batchSize: 8, shuffle: false)).next()!
        XCTAssertEqual(batch.indices, [0, 1])
        XCTAssertEqual(batch.warnings.count, 1)
        XCTAssertTrue(batch.warnings[0].message.hasPrefix(expected["rgba"]!), batch.warnings[0].message)
        XCTAssertTrue(batch.warnings[0].description.hasSuffix("(skipped)"))
    }

    func testBadInputThrowsATypedErrorInErrorMode() throws {
        let (root, expected) = try makeBadFolder()
        var remaining = expected
        // Each run reports the first bad item it meets; remove it and go again until the folder is clean.
        let order = ["cmyk", "corrupt", "huge", "rgba", "empty"]
        for kind in order {
            let e = assertDataError(remaining[kind]!) {
                _ = try ImageFolder(root: root, config: .init(height: 8, width: 8, onBadImage: .error, verify: .decode))
            }
            XCTAssertNotNil(e?.path)
            if kind == "empty" {
                XCTAssertEqual(e, .emptyClassFolder(path: root.standardizedFileURL.path + "/empty"))
                try FileManager.default.removeItem(at: root.appendingPathComponent("empty"))
            } else {
                try FileManager.default.removeItem(atPath: e!.path!)
            }
            remaining[kind] = nil
        }
        XCTAssertEqual(try ImageFolder(root: root, config: .init(height: 8, width: 8, onBadImage: .error)).count, 2)
    }

    func testHeaderThatLiesIsCaughtWhenTheBatchIsDecoded() throws {
        let root = try makeTemporaryFolder(self)
        try ShapesDataset.draw(to: root, classes: ["ring"], perClass: 3, size: 8, seed: 2)
        let good = try readBytes(root.appendingPathComponent("ring/ring_00001.png"))
        try writeBytes(pngWithLyingHeader(good, width: 16, height: 16), at: root, "ring/ring_00001.png")
        let lyingPath = root.standardizedFileURL.path + "/ring/ring_00001.png"

        // A header-only scan admits it; decoding it in a batch skips it with a warning.
        let folder = try ImageFolder(root: root, config: .init(height: 8, width: 8, verify: .header))
        XCTAssertEqual(folder.count, 3)
        let loader = try DataLoader(dataset: folder, config: .init(batchSize: 3, shuffle: false, prefetch: 0))
        let batch = try loader.next()!
        XCTAssertEqual(batch.indices, [0, 2])
        XCTAssertEqual(batch.inputs.shape, [2, 1, 8, 8])
        XCTAssertEqual(batch.warnings.map(\.path), [lyingPath])
        XCTAssertTrue(batch.warnings[0].message.hasPrefix("\(lyingPath): corrupt image:"), batch.warnings[0].message)
        XCTAssertEqual(loader.warnings, batch.warnings)

        // A full-decode scan leaves it out up front; error mode throws from the loader.
        let verified = try ImageFolder(root: root, config: .init(height: 8, width: 8, verify: .decode))
        XCTAssertEqual(verified.count, 2)
        XCTAssertEqual(verified.warnings.map(\.path), [lyingPath])
        let strict = try ImageFolder(root: root, config: .init(height: 8, width: 8, onBadImage: .error, verify: .header))
        let strictLoader = try DataLoader(dataset: strict, config: .init(batchSize: 3, shuffle: false, prefetch: 2))
        assertDataError("\(lyingPath): corrupt image:") { _ = try strictLoader.next() }
        XCTAssertEqual(strictLoader.position.batchIndex, 0)
        assertDataError("\(lyingPath): corrupt image:") { _ = try strict.example(at: 1) }
    }

    func testMissingRootAndBadConfigThrow() throws {
        let root = try makeTemporaryFolder(self)
        let missing = root.appendingPathComponent("nope")
        assertDataError("\(missing.path): not a directory") {
            _ = try ImageFolder(root: missing, config: .init(height: 8, width: 8))
        }
        assertDataError("image size 0x8 must be positive") { _ = try ImageFolder(root: root, config: .init(height: 0, width: 8)) }
        let empty = try ImageFolder(root: root, config: .init(height: 8, width: 8))
        XCTAssertEqual(empty.count, 0)
    }

    func testConfigDecodesWithDefaults() throws {
        let json = #"{"height": 28, "width": 28, "color": "rgb", "normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2]}}"#
        let c = try JSONDecoder().decode(ImageFolder.Config.self, from: Foundation.Data(json.utf8))
        XCTAssertEqual(c.shape, [3, 28, 28])
        XCTAssertEqual(c.onBadImage, .skip)
        XCTAssertEqual(c.verify, .header)
        XCTAssertEqual(c.maxPixels, 1 << 26)
        XCTAssertEqual(c.normalization?.std, [0.2, 0.2, 0.2])
        let back = try JSONDecoder().decode(ImageFolder.Config.self, from: try JSONEncoder().encode(c))
        XCTAssertEqual(back, c)
    }
}
