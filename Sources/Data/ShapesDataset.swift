import Foundation
import TensorCore

/// A generated demo dataset: grayscale images of white shapes of random position, size and
/// rotation on a faintly noisy black background, written as one folder per shape for `ImageFolder`.
///
/// Image `i` of shape `s` depends only on (seed, s, i, size): it is drawn from a generator on the
/// stream "shapes/<s>" at counter (0, i << 32), so a folder can be grown later (`startIndex`) and
/// every file is reproducible on its own.
public enum ShapesDataset {
    /// Every shape that can be drawn (square and diamond are never rotated, so they stay distinct).
    public static let shapes = ["circle", "square", "triangle", "cross", "ring", "star", "diamond"]

    /// Writes `perClass` images of each class to `folder/<class>/<class>_<index>.<ext>`, indices
    /// `startIndex ..< startIndex + perClass`; returns the relative paths written.
    @discardableResult
    public static func draw(to folder: URL, classes: [String] = ["circle", "square", "triangle"], perClass: Int,
                            size: Int = 28, seed: UInt64, startIndex: Int = 0,
                            format: ImageWriter.Format = .png) throws -> [String] {
        precondition(perClass >= 0 && startIndex >= 0 && size >= 4,
                     "ShapesDataset.draw: perClass \(perClass), startIndex \(startIndex), size \(size) out of range")
        var written: [String] = []
        for name in classes {
            guard shapes.contains(name) else { throw DataError.unknownShape(name: name, known: shapes) }
            let dir = folder.appendingPathComponent(name)
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw DataError.writeFailed(path: dir.path, reason: error.localizedDescription)
            }
            for i in startIndex..<(startIndex + perClass) {
                let file = "\(name)_\(String(format: "%05d", i)).\(format.fileExtension)"
                let pixels = try render(name, size: size, seed: seed, index: i)
                try ImageWriter.write(pixels, width: size, height: size, channels: 1, format: format,
                                      to: dir.appendingPathComponent(file).path)
                written.append(name + "/" + file)
            }
        }
        return written
    }

    /// The `size`×`size` gray pixels of image `index` of `shape` (4×4 supersampled edges).
    public static func render(_ shape: String, size: Int, seed: UInt64, index: Int) throws -> [UInt8] {
        guard shapes.contains(shape) else { throw DataError.unknownShape(name: shape, known: shapes) }
        var g = RandomGenerator(seed: seed, stream: RNGStreams.streamID("shapes/" + shape))
        g.counter = (hi: 0, lo: UInt64(index) << 32)
        let s = Float(size)
        let radius = s * (0.2 + 0.15 * g.nextFloat())
        let margin = radius + 1
        let cx = margin + g.nextFloat() * (s - 2 * margin)
        let cy = margin + g.nextFloat() * (s - 2 * margin)
        let angle: Float
        switch shape {
        case "square", "diamond": angle = 0
        case "cross": angle = (g.nextFloat() - 0.5) * 0.6
        default: angle = g.nextFloat() * 2 * .pi
        }
        let brightness = 0.7 + 0.3 * g.nextFloat()
        let cosA = Foundation.cos(angle), sinA = Foundation.sin(angle)
        var pixels = [UInt8](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                var covered = 0
                for sy in 0..<4 {
                    for sx in 0..<4 {
                        let px = Float(x) + (Float(sx) + 0.5) / 4 - cx
                        let py = Float(y) + (Float(sy) + 0.5) / 4 - cy
                        // Rotate into the shape's frame and scale so the shape spans the unit disc.
                        let u = (cosA * px + sinA * py) / radius
                        let v = (-sinA * px + cosA * py) / radius
                        if inside(shape, u, v) { covered += 1 }
                    }
                }
                let noise = 0.08 * g.nextFloat()
                let value = Swift.min(1, noise + brightness * Float(covered) / 16)
                pixels[y * size + x] = UInt8((value * 255).rounded())
            }
        }
        return pixels
    }

    /// Whether (u, v) in the unit frame of `shape` is inside it.
    static func inside(_ shape: String, _ u: Float, _ v: Float) -> Bool {
        let r2 = u * u + v * v
        switch shape {
        case "circle":
            return r2 <= 1
        case "ring":
            return r2 <= 1 && r2 >= 0.55 * 0.55
        case "square":
            return Swift.max(Swift.abs(u), Swift.abs(v)) <= 0.8
        case "diamond":
            return Swift.abs(u) + Swift.abs(v) <= 1
        case "cross":
            return (Swift.abs(u) <= 0.28 && Swift.abs(v) <= 1) || (Swift.abs(v) <= 0.28 && Swift.abs(u) <= 1)
        case "triangle":
            // Equilateral, vertices on the unit circle, apex up.
            let a = (Float(0), Float(-1)), b = (Float(0.866), Float(0.5)), c = (Float(-0.866), Float(0.5))
            func side(_ p: (Float, Float), _ q: (Float, Float)) -> Float { (q.0 - p.0) * (v - p.1) - (q.1 - p.1) * (u - p.0) }
            let d1 = side(a, b), d2 = side(b, c), d3 = side(c, a)
            return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0)
        case "star":
            // Five points: the boundary radius goes linearly (in angle) from 1 at a tip to 0.45 between tips.
            let sector = 2 * Float.pi / 5
            var phi = Foundation.atan2(v, u) + .pi / 2
            phi = phi - sector * (phi / sector).rounded(.down)
            let t = Swift.abs(phi - sector / 2) / (sector / 2)
            let edge = 0.45 + 0.55 * t
            return r2 <= edge * edge
        default:
            return false
        }
    }
}
