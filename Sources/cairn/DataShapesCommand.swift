import ArgumentParser
import Data
import Foundation

/// `cairn data shapes OUT`: draws the demo dataset (one folder of PNGs per class).
struct DataShapesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shapes",
        abstract: "Draw 28×28 grayscale shape images, one subfolder per class.",
        discussion: """
        Classes: circle, square, triangle, cross, ring, star, diamond. Drawing more into an existing
        folder with a new --seed adds images (the folder grows; class indices stay stable).
        Example:
          cairn data shapes data/shapes/train --classes circle,square,triangle --per-class 200 --seed 1
        """)

    @Argument(help: "Output folder.") var out: String
    @Option(help: "Comma-separated class names.") var classes = "circle,square,triangle"
    @Option(help: "Images per class.") var perClass = 100
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Image side in pixels.") var size = 28

    func validate() throws {
        guard perClass >= 0, size >= 4 else { throw ValidationError("--per-class must be ≥ 0 and --size ≥ 4") }
    }

    func run() throws {
        let names = classes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        // Into an existing folder the new images are added after the ones there, never over them.
        let start = names.map { Self.nextIndex(URL(fileURLWithPath: out).appendingPathComponent($0), prefix: $0 + "_") }.max() ?? 0
        let written = try ShapesDataset.draw(to: URL(fileURLWithPath: out), classes: names, perClass: perClass,
                                             size: size, seed: seed, startIndex: start)
        print("wrote \(written.count) images to \(out) (\(names.joined(separator: ", ")))"
              + (start > 0 ? ", numbered from \(start) after the images already there" : ""))
    }

    /// One past the highest `<prefix>NNNNN.*` index in `dir` (0 when there is none).
    static func nextIndex(_ dir: URL, prefix: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let indices = names.compactMap { n -> Int? in
            guard n.hasPrefix(prefix) else { return nil }
            return Int(n.dropFirst(prefix.count).prefix { $0.isNumber })
        }
        return (indices.max() ?? -1) + 1
    }
}
