/// Where a data loader is: the next batch to produce, plus what is needed to check that a restored
/// loader sees the same data. Saved in checkpoints; restoring is O(1) in batches (no replay).
///
/// JSON: `{"epoch": 3, "batchIndex": 17, "seed": 42, "batchSize": 32, "datasetSize": 6000,
/// "fingerprint": "<16 hex digits>"}` (the fingerprint is a string so no JSON reader rounds it).
public struct LoaderPosition: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The epoch in progress (0-based).
    public var epoch: Int
    /// The next batch of the epoch to produce; equal to the batch count once the epoch is used up.
    public var batchIndex: Int
    /// Seed of the shuffle and augment streams.
    public var seed: UInt64
    /// Examples per batch.
    public var batchSize: Int
    /// Examples in the loader's datasets together.
    public var datasetSize: Int
    /// Hash of the datasets and sampling settings.
    public var fingerprint: UInt64

    /// A position with every field given.
    public init(epoch: Int, batchIndex: Int, seed: UInt64, batchSize: Int, datasetSize: Int, fingerprint: UInt64) {
        self.epoch = epoch
        self.batchIndex = batchIndex
        self.seed = seed
        self.batchSize = batchSize
        self.datasetSize = datasetSize
        self.fingerprint = fingerprint
    }

    private enum CodingKeys: String, CodingKey { case epoch, batchIndex, seed, batchSize, datasetSize, fingerprint }

    /// Decodes the JSON form, with the fingerprint as a hex string.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        batchIndex = try c.decode(Int.self, forKey: .batchIndex)
        seed = try c.decode(UInt64.self, forKey: .seed)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        datasetSize = try c.decode(Int.self, forKey: .datasetSize)
        let hex = try c.decode(String.self, forKey: .fingerprint)
        guard hex.count == 16, let f = UInt64(hex, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: .fingerprint, in: c,
                                                   debugDescription: "fingerprint \"\(hex)\" is not 16 hex digits")
        }
        fingerprint = f
        guard epoch >= 0, batchIndex >= 0, batchSize > 0, datasetSize >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .epoch, in: c,
                                                   debugDescription: "loader position \(self) has a negative field or zero batch size")
        }
    }

    /// Encodes the JSON form.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(batchIndex, forKey: .batchIndex)
        try c.encode(seed, forKey: .seed)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(datasetSize, forKey: .datasetSize)
        try c.encode(Fingerprint.hex(fingerprint), forKey: .fingerprint)
    }

    /// "epoch E, batch B".
    public var description: String { "epoch \(epoch), batch \(batchIndex)" }
}
