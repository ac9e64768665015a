import CJPEG
import CPNG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An image as 8-bit interleaved samples in the file's own colour model.
struct DecodedImage {
    /// Width in pixels.
    var width: Int
    /// Height in pixels.
    var height: Int
    /// Samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    var channels: Int
    /// `height * width * channels` samples, rows top to bottom (empty for a header-only read).
    var pixels: [UInt8]

    /// Whether the last sample of each pixel is alpha.
    var hasAlpha: Bool { channels == 2 || channels == 4 }
    /// Whether the colour samples are RGB rather than gray.
    var isColor: Bool { channels >= 3 }

    /// A short name of the colour model for messages.
    var modelName: String { ["gray", "gray+alpha", "RGB", "RGBA"][channels - 1] }
}

/// PNG (libpng's simplified API) and JPEG (libjpeg via a setjmp-guarded C helper) decoding,
/// with every size checked against limits before an image-sized allocation.
enum ImageDecoder {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let messageLength = 256

    /// The whole file, after checking it is a regular file of at most `limit` bytes.
    static func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DataError.unreadableFile(path: path, reason: errnoText()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw DataError.unreadableFile(path: path, reason: errnoText()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw DataError.unreadableFile(path: path, reason: "not a regular file")
        }
        let size = Int(st.st_size)
        guard size <= limit else { throw DataError.fileTooLarge(path: path, bytes: size, limit: limit) }
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if let failure { throw DataError.unreadableFile(path: path, reason: failure) }
        guard bytes.count == size else {
            throw DataError.unreadableFile(path: path, reason: "file shrank from \(size) to \(bytes.count) bytes while being read")
        }
        return bytes
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Decodes PNG or JPEG bytes (sniffed from the signature, not the file name). With `headerOnly`
    /// only the header is checked (format, pixel limit, convertible channels) and `pixels` is empty.
    static func decode(_ bytes: [UInt8], path: String, wantGray: Bool, maxPixels: Int,
                       headerOnly: Bool = false) throws -> DecodedImage {
        if bytes.count >= 8 && Array(bytes[0..<8]) == pngSignature {
            return try decodePNG(bytes, path: path, maxPixels: maxPixels, headerOnly: headerOnly)
        }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF {
            return try decodeJPEG(bytes, path: path, wantGray: wantGray, maxPixels: maxPixels, headerOnly: headerOnly)
        }
        let head = bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
        throw DataError.unsupportedFormat(path: path, detail: bytes.isEmpty ? "the file is empty" : "it starts with bytes \(head)")
    }

    static func decodePNG(_ bytes: [UInt8], path: String, maxPixels: Int, headerOnly: Bool) throws -> DecodedImage {
        var image = png_image()
        var msg = [CChar](repeating: 0, count: messageLength)
        let begun = bytes.withUnsafeBytes { raw in
            cairn_png_begin(&image, raw.baseAddress, raw.count, &msg, messageLength)
        }
        guard begun == 0 else { throw DataError.corruptImage(path: path, reason: text(msg)) }
        let width = Int(image.width), height = Int(image.height)
        guard width.multipliedReportingOverflow(by: height).partialValue <= maxPixels else {
            png_image_free(&image)
            throw DataError.imageTooLarge(path: path, width: width, height: height, limit: maxPixels)
        }
        // png_image format flags: 1 = alpha, 2 = colour (a palette image reports its entries' model).
        let alpha = image.format & 1 != 0, color = image.format & 2 != 0
        let channels = (color ? 3 : 1) + (alpha ? 1 : 0)
        if headerOnly {
            png_image_free(&image)
            return DecodedImage(width: width, height: height, channels: channels, pixels: [])
        }
        let count = width * height * channels
        var failed: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            failed = cairn_png_finish(&image, UInt32((alpha ? 1 : 0) | (color ? 2 : 0)), buffer.baseAddress, count,
                                      &msg, messageLength)
            initialized = failed == 0 ? count : 0
        }
        guard failed == 0 else { throw DataError.corruptImage(path: path, reason: text(msg)) }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    static func decodeJPEG(_ bytes: [UInt8], path: String, wantGray: Bool, maxPixels: Int,
                           headerOnly: Bool) throws -> DecodedImage {
        var info = cairn_jpeg_info()
        var msg = [CChar](repeating: 0, count: messageLength)
        let limit = UInt64(max(maxPixels, 0))
        // First pass: header only (a NULL buffer stops before decompression starts).
        let probe = bytes.withUnsafeBytes { raw in
            cairn_jpeg_decode(raw.baseAddress, raw.count, wantGray ? 1 : 0, limit, nil, 0, &info, &msg, messageLength)
        }
        try checkJPEG(Int(probe), info: info, msg: msg, path: path, maxPixels: maxPixels, wantGray: wantGray)
        let width = Int(info.width), height = Int(info.height), channels = Int(info.out_channels)
        if headerOnly { return DecodedImage(width: width, height: height, channels: channels, pixels: []) }
        let count = width * height * channels
        var rc: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            rc = bytes.withUnsafeBytes { raw in
                cairn_jpeg_decode(raw.baseAddress, raw.count, wantGray ? 1 : 0, limit, buffer.baseAddress, count,
                                  &info, &msg, messageLength)
            }
            initialized = rc == Int32(CAIRN_JPEG_OK) ? count : 0
        }
        if rc != Int32(CAIRN_JPEG_OK) {
            try checkJPEG(Int(rc), info: info, msg: msg, path: path, maxPixels: maxPixels, wantGray: wantGray)
            throw DataError.corruptImage(path: path, reason: "decoder needed a different buffer size on the second pass")
        }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Turns a `cairn_jpeg_decode` failure into its `DataError`; returns for OK and NEED_BUFFER.
    static func checkJPEG(_ rc: Int, info: cairn_jpeg_info, msg: [CChar], path: String, maxPixels: Int,
                          wantGray: Bool) throws {
        switch rc {
        case Int(CAIRN_JPEG_OK), Int(CAIRN_JPEG_NEED_BUFFER):
            return
        case Int(CAIRN_JPEG_TOO_LARGE):
            throw DataError.imageTooLarge(path: path, width: Int(info.width), height: Int(info.height), limit: maxPixels)
        case Int(CAIRN_JPEG_BAD_CHANNELS):
            let space = [4: "CMYK", 5: "YCCK"][Int(info.color_space)] ?? "colour space \(info.color_space)"
            throw DataError.channelMismatch(path: path, found: "a \(info.components)-component \(space) JPEG",
                                            wanted: wantGray ? ColorMode.gray.displayName : ColorMode.rgb.displayName)
        default:
            throw DataError.corruptImage(path: path, reason: text(msg))
        }
    }

    static func text(_ msg: [CChar]) -> String {
        let s = msg.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return s.isEmpty ? "decoder failed without a message" : s
    }
}
