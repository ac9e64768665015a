/// How an image dataset treats an alpha channel (PNG gray+alpha, RGBA, or palette with transparency).
///
/// A fully opaque alpha channel (every value 255) is always dropped: that conversion is exact.
public enum AlphaPolicy: String, Codable, Sendable, CaseIterable {
    /// An image with any translucent pixel is a channel mismatch (skipped or an error per `BadImagePolicy`),
    /// because there is no single right background to composite it onto.
    case rejectTranslucent
    /// Drop the alpha channel and keep the stored colour values, like Pillow's `convert("RGB")`.
    case drop
}
