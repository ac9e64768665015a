/// What a dataset does with an unreadable, corrupt, oversized or unconvertible image or an empty class folder.
public enum BadImagePolicy: String, Codable, Sendable, CaseIterable {
    /// Record a `DataWarning` naming the file and leave the image out.
    case skip
    /// Throw the `DataError` naming the file.
    case error
}
