import NN

/// `{image_folder: dir, …}`: images in one subfolder per class (class names sorted, as
/// torchvision's `ImageFolder`), resized to `size`, as gray or RGB, scaled to [0, 1], augmented,
/// then normalized.
public struct ImageFolderSource: Codable, Equatable, Sendable {
    /// The key that names the folder and marks the kind.
    static let kindKey = "image_folder"

    /// When to list the folder again to pick up added or removed images.
    public enum Rescan: String, Codable, Sendable, CaseIterable {
        /// Once, at startup (default).
        case never
        /// At the start of every epoch.
        case everyEpoch = "every_epoch"
    }

    /// What to do with a file that is not a readable image.
    public enum BadImage: String, Codable, Sendable, CaseIterable {
        /// Leave it out with a warning naming the file (default).
        case skip
        /// Stop with an error naming the file.
        case error
    }

    /// What to do with an alpha channel that is not fully opaque.
    public enum Alpha: String, Codable, Sendable, CaseIterable {
        /// Refuse the image (default): there is no single right background to composite onto.
        case rejectTranslucent = "reject_translucent"
        /// Drop the alpha channel and keep the stored colours.
        case drop
    }

    /// How much of each file a scan checks.
    public enum Verify: String, Codable, Sendable, CaseIterable {
        /// List files only.
        case none
        /// Read each header (default).
        case header
        /// Decode every image fully.
        case decode
    }

    /// Per-channel `(x - mean) / std`, applied after scaling to [0, 1].
    public struct Normalize: Codable, Equatable, Sendable {
        /// One mean per channel.
        public var mean: [Double]
        /// One standard deviation per channel (positive).
        public var std: [Double]

        /// A normalization.
        public init(mean: [Double], std: [Double]) {
            self.mean = mean
            self.std = std
        }

        enum CodingKeys: String, CodingKey { case mean, std }

        /// Decodes and checks lengths and signs.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            mean = try c.decode([Double].self, forKey: .mean)
            std = try c.decode([Double].self, forKey: .std)
            try c.check(!mean.isEmpty && mean.allSatisfy(\.isFinite), .mean, "must be a non-empty list of finite numbers")
            try c.check(std.count == mean.count, .std, "has \(std.count) values but mean has \(mean.count)")
            try c.check(std.allSatisfy { $0 > 0 && $0.isFinite }, .std, "must be positive, got \(std)")
        }
    }

    /// A random transformation of each training example, applied in the order written.
    public enum Augment: Codable, Equatable, Sendable {
        /// torchvision `RandomCrop(size, padding)`: zero-pad each side, crop `size`×`size` at a random place.
        /// `size` nil is the image size.
        case randomCrop(size: Int?, padding: Int)
        /// torchvision `RandomHorizontalFlip(p)`.
        case hflip(p: Double)

        /// Every augmentation key.
        static let kinds = ["random_crop", "hflip"]

        enum CropKeys: String, CodingKey { case size, padding }

        /// Decodes `{random_crop: {size, padding}}` or `{hflip: p}` from `c` at `key`.
        init(_ c: KeyedDecodingContainer<AnyKey>, _ key: AnyKey) throws {
            switch key.stringValue {
            case "random_crop":
                let m = try c.nestedContainer(keyedBy: CropKeys.self, forKey: key)
                let size = try m.decodeIfPresent(Int.self, forKey: .size)
                let padding = try m.value(.padding, or: 0)
                try m.check((size ?? 1) > 0, .size, "must be positive, got \(size ?? 0)")
                try m.check(padding >= 0, .padding, "must be 0 or more, got \(padding)")
                self = .randomCrop(size: size, padding: padding)
            case "hflip":
                let p = try c.decode(Double.self, forKey: key)
                try c.check((0...1).contains(p), key, "is a probability in [0, 1], got \(p)")
                self = .hflip(p: p)
            default:
                let hint = ConfigError.closest(to: key.stringValue, in: Augment.kinds).map { " (did you mean '\($0)'?)" } ?? ""
                throw c.invalid(key, "unknown augmentation '\(key.stringValue)'\(hint); expected one of \(Augment.kinds.joined(separator: ", "))")
            }
        }

        /// Decodes one single-key mapping (the list form).
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            guard c.allKeys.count == 1, let key = c.allKeys.first else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "each augmentation is one 'kind: options' pair, e.g. {hflip: 0.5}"))
            }
            try self.init(c, key)
        }

        /// Encodes `{random_crop: {…}}` or `{hflip: p}`.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: AnyKey.self)
            switch self {
            case let .randomCrop(size, padding):
                var m = c.nestedContainer(keyedBy: CropKeys.self, forKey: AnyKey("random_crop"))
                if let size { try m.encode(size, forKey: .size) }
                try m.encode(padding, forKey: .padding)
            case let .hflip(p): try c.encode(p, forKey: AnyKey("hflip"))
            }
        }
    }

    /// The folder, with one subfolder per class.
    public var path: String
    /// Output height × width; nil: the H, W of a `[C, H, W]` `model.input` (filled in when parsing).
    public var size: ModelSpec.Size2?
    /// One gray channel rather than RGB; nil: whether `model.input` has 1 channel (filled in when parsing).
    public var grayscale: Bool?
    /// When to rescan the folder (default `never`).
    public var rescan: Rescan
    /// Normalization after scaling to [0, 1]; nil: none.
    public var normalize: Normalize?
    /// Augmentations, in order (default none; only training sources should have any).
    public var augment: [Augment]
    /// Unreadable files (default `skip`).
    public var onBadImage: BadImage
    /// Translucent alpha channels (default `reject_translucent`).
    public var alpha: Alpha
    /// How carefully a scan checks each file (default `header`).
    public var verify: Verify
    /// File extensions that count as images (default png, jpg, jpeg).
    public var extensions: [String]

    /// A source with the defaults.
    public init(path: String, size: ModelSpec.Size2? = nil, grayscale: Bool? = nil, rescan: Rescan = .never,
                normalize: Normalize? = nil, augment: [Augment] = [], onBadImage: BadImage = .skip,
                alpha: Alpha = .rejectTranslucent, verify: Verify = .header, extensions: [String] = ["png", "jpg", "jpeg"]) {
        self.path = path
        self.size = size
        self.grayscale = grayscale
        self.rescan = rescan
        self.normalize = normalize
        self.augment = augment
        self.onBadImage = onBadImage
        self.alpha = alpha
        self.verify = verify
        self.extensions = extensions
    }

    enum CodingKeys: String, CodingKey {
        case path = "image_folder", size, grayscale, rescan, normalize, augment, onBadImage = "on_bad_image", alpha, verify, extensions
    }

    /// Decodes the options; `augment` may be a mapping (applied in the order written) or a list.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ImageFolderSource(path: "")
        path = try c.decode(String.self, forKey: .path)
        try c.check(!path.isEmpty, .path, "the folder path must not be empty")
        size = try c.decodeIfPresent(ModelSpec.Size2.self, forKey: .size)
        if let s = size { try c.check(s.h > 0 && s.w > 0, .size, "must be positive, got [\(s.h), \(s.w)]") }
        grayscale = try c.decodeIfPresent(Bool.self, forKey: .grayscale)
        rescan = try c.choice(.rescan, or: d.rescan)
        normalize = try c.decodeIfPresent(Normalize.self, forKey: .normalize)
        if let m = try? c.nestedContainer(keyedBy: AnyKey.self, forKey: .augment) {
            augment = try m.allKeys.map { try Augment(m, $0) }
        } else {
            augment = try c.value(.augment, or: [])
        }
        onBadImage = try c.choice(.onBadImage, or: d.onBadImage)
        alpha = try c.choice(.alpha, or: d.alpha)
        verify = try c.choice(.verify, or: d.verify)
        extensions = try c.value(.extensions, or: d.extensions)
        try c.check(!extensions.isEmpty, .extensions, "must list at least one extension")
    }

    /// Encodes every option (size and grayscale once known).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        if let size { try c.encode(size, forKey: .size) }
        if let grayscale { try c.encode(grayscale, forKey: .grayscale) }
        try c.encode(rescan, forKey: .rescan)
        if let normalize { try c.encode(normalize, forKey: .normalize) }
        if !augment.isEmpty { try c.encode(augment, forKey: .augment) }
        try c.encode(onBadImage, forKey: .onBadImage)
        try c.encode(alpha, forKey: .alpha)
        try c.encode(verify, forKey: .verify)
        try c.encode(extensions, forKey: .extensions)
    }

    /// Channels once `grayscale` is known.
    public var channels: Int? { grayscale.map { $0 ? 1 : 3 } }
}
