/// Per-channel `(x - mean) / std`, applied after scaling to [0, 1] and after augmentation, like
/// torchvision's `Normalize` following `ToTensor`.
public struct Normalization: Codable, Equatable, Hashable, Sendable {
    /// One mean per channel.
    public var mean: [Float]
    /// One standard deviation per channel (non-zero).
    public var std: [Float]

    /// Per-channel mean and standard deviation.
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Checks that both lists have one finite entry per channel and that no std is zero.
    func validate(channels: Int) throws {
        guard mean.count == channels, std.count == channels else {
            throw DataError.invalidConfig("normalization has \(mean.count) means and \(std.count) stds for \(channels) channel(s)")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw DataError.invalidConfig("normalization mean \(mean) / std \(std) must be finite with non-zero std")
        }
    }

    /// Normalizes a [C, H·W] planar buffer in place, dividing as torchvision does (not multiplying by 1/std).
    func apply(_ values: UnsafeMutableBufferPointer<Float>, channels: Int) {
        let plane = values.count / channels
        guard let base = values.baseAddress else { return }
        for c in 0..<channels {
            let m = mean[c], s = std[c]
            let p = base + c * plane
            for i in 0..<plane { p[i] = (p[i] - m) / s }
        }
    }
}
