/// The channels an image dataset produces.
///
/// Conversions (all on 8-bit samples, before scaling to [0, 1]): gray → RGB repeats the gray value
/// in all three channels; RGB → gray is Pillow's `convert("L")` luma,
/// L = (19595·R + 38470·G + 7471·B + 32768) >> 16 (ITU-R 601-2 weights on the stored values);
/// a YCbCr JPEG read as gray keeps libjpeg's Y channel (the same weights, applied by the encoder).
public enum ColorMode: String, Codable, Sendable, CaseIterable {
    /// One channel.
    case gray
    /// Three channels, red, green, blue.
    case rgb

    /// Number of channels produced.
    public var channels: Int { self == .gray ? 1 : 3 }

    /// "gray" or "RGB", for messages.
    public var displayName: String { self == .gray ? "gray" : "RGB" }
}
