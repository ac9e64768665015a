extension ImageFolder {
    /// How images are read, converted and checked. Missing keys decode to the defaults.
    public struct Config: Codable, Equatable, Sendable {
        /// Output height in pixels (every image is resized to it, see `Bilinear`).
        public var height: Int
        /// Output width in pixels.
        public var width: Int
        /// Gray (1 channel) or RGB (3 channels).
        public var color: ColorMode
        /// Per-channel mean/std applied after scaling to [0, 1] (and after augmentation); nil: none.
        public var normalization: Normalization?
        /// Skip bad images with a warning, or throw.
        public var onBadImage: BadImagePolicy
        /// What to do with translucent alpha channels.
        public var alpha: AlphaPolicy
        /// How much of each file a scan checks.
        public var verify: VerifyLevel
        /// Largest width × height accepted; checked against the header before any image-sized allocation.
        public var maxPixels: Int
        /// Largest file size read, in bytes.
        public var maxFileBytes: Int
        /// File extensions (case-insensitive, without the dot) that are images.
        public var extensions: [String]

        /// A configuration with the given output size and the defaults for everything else.
        public init(height: Int, width: Int, color: ColorMode = .gray, normalization: Normalization? = nil,
                    onBadImage: BadImagePolicy = .skip, alpha: AlphaPolicy = .rejectTranslucent,
                    verify: VerifyLevel = .header, maxPixels: Int = 1 << 26, maxFileBytes: Int = 1 << 28,
                    extensions: [String] = ["png", "jpg", "jpeg"]) {
            self.height = height
            self.width = width
            self.color = color
            self.normalization = normalization
            self.onBadImage = onBadImage
            self.alpha = alpha
            self.verify = verify
            self.maxPixels = maxPixels
            self.maxFileBytes = maxFileBytes
            self.extensions = extensions
        }

        private enum CodingKeys: String, CodingKey {
            case height, width, color, normalization, onBadImage, alpha, verify, maxPixels, maxFileBytes, extensions
        }

        /// Decodes `height` and `width` (required) and any of the other settings.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Config(height: try c.decode(Int.self, forKey: .height), width: try c.decode(Int.self, forKey: .width))
            self = d
            color = try c.decodeIfPresent(ColorMode.self, forKey: .color) ?? d.color
            normalization = try c.decodeIfPresent(Normalization.self, forKey: .normalization)
            onBadImage = try c.decodeIfPresent(BadImagePolicy.self, forKey: .onBadImage) ?? d.onBadImage
            alpha = try c.decodeIfPresent(AlphaPolicy.self, forKey: .alpha) ?? d.alpha
            verify = try c.decodeIfPresent(VerifyLevel.self, forKey: .verify) ?? d.verify
            maxPixels = try c.decodeIfPresent(Int.self, forKey: .maxPixels) ?? d.maxPixels
            maxFileBytes = try c.decodeIfPresent(Int.self, forKey: .maxFileBytes) ?? d.maxFileBytes
            extensions = try c.decodeIfPresent([String].self, forKey: .extensions) ?? d.extensions
        }

        /// Number of output channels.
        public var channels: Int { color.channels }

        /// Output shape [C, H, W].
        public var shape: [Int] { [channels, height, width] }

        /// Throws `DataError.invalidConfig` for sizes, limits or normalization that cannot work.
        public func validate() throws {
            guard height > 0, width > 0, height.multipliedReportingOverflow(by: width).partialValue <= maxPixels else {
                throw DataError.invalidConfig("image size \(height)x\(width) must be positive and within maxPixels \(maxPixels)")
            }
            guard maxPixels > 0, maxFileBytes > 0 else {
                throw DataError.invalidConfig("maxPixels (\(maxPixels)) and maxFileBytes (\(maxFileBytes)) must be positive")
            }
            guard !extensions.isEmpty else { throw DataError.invalidConfig("extensions must not be empty") }
            try normalization?.validate(channels: channels)
        }
    }
}
