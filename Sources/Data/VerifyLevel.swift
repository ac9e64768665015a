/// How much of each image a folder scan checks before the image is admitted to the dataset.
///
/// Problems found at scan time remove the file from the dataset, so batch sizes stay constant;
/// problems found later, while decoding a batch, shrink that batch (or throw, per `BadImagePolicy`).
public enum VerifyLevel: String, Codable, Sendable, CaseIterable {
    /// List files only; every problem shows up when the image is decoded.
    case none
    /// Read each file's header: format, size limit, channel conversion (cheap; the default).
    case header
    /// Decode each file completely, so corrupt or truncated data is caught at scan time too.
    case decode
}
