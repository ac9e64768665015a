import CJPEG
import CPNG

/// Writes 8-bit images with libpng and libjpeg (for generated datasets and tests).
public enum ImageWriter {
    /// A file format to write.
    public enum Format: String, Codable, Sendable, CaseIterable {
        /// Lossless PNG.
        case png
        /// Baseline JPEG.
        case jpeg

        /// The file extension without the dot.
        public var fileExtension: String { self == .png ? "png" : "jpg" }
    }

    /// Writes `pixels` (rows top to bottom, `channels` interleaved samples per pixel: 1 gray,
    /// 2 gray+alpha, 3 RGB, 4 RGBA) as a PNG file.
    public static func writePNG(_ pixels: [UInt8], width: Int, height: Int, channels: Int, to path: String) throws {
        try check(pixels, width: width, height: height, channels: channels, path: path)
        var msg = [CChar](repeating: 0, count: 256)
        let rc = pixels.withUnsafeBytes { raw in
            cairn_png_write(path, UInt32(width), UInt32(height), UInt32(channels), raw.baseAddress, &msg, 256)
        }
        guard rc == 0 else { throw DataError.writeFailed(path: path, reason: ImageDecoder.text(msg)) }
    }

    /// Writes `pixels` (1 gray, 3 RGB or 4 CMYK samples per pixel) as a JPEG file of the given quality (1...100).
    public static func writeJPEG(_ pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 90,
                                 to path: String) throws {
        try check(pixels, width: width, height: height, channels: channels, path: path)
        var msg = [CChar](repeating: 0, count: 256)
        let rc = pixels.withUnsafeBufferPointer { p in
            cairn_jpeg_write(path, UInt32(width), UInt32(height), UInt32(channels), p.baseAddress,
                             Int32(min(max(quality, 1), 100)), &msg, 256)
        }
        guard rc == 0 else { throw DataError.writeFailed(path: path, reason: ImageDecoder.text(msg)) }
    }

    /// Writes in `format`; JPEG cannot hold alpha, so gray+alpha and RGBA must go to PNG.
    public static func write(_ pixels: [UInt8], width: Int, height: Int, channels: Int, format: Format,
                             to path: String) throws {
        switch format {
        case .png: try writePNG(pixels, width: width, height: height, channels: channels, to: path)
        case .jpeg: try writeJPEG(pixels, width: width, height: height, channels: channels, to: path)
        }
    }

    static func check(_ pixels: [UInt8], width: Int, height: Int, channels: Int, path: String) throws {
        guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max), (1...4).contains(channels) else {
            throw DataError.writeFailed(path: path, reason: "bad size \(width)x\(height)x\(channels)")
        }
        guard pixels.count == width * height * channels else {
            throw DataError.writeFailed(path: path, reason: "\(pixels.count) samples for \(width)x\(height)x\(channels)")
        }
    }
}
