/// A problem with one input file that was skipped instead of stopping the run.
public struct DataWarning: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The file or folder concerned.
    public let path: String
    /// What was wrong, as a sentence that names the file.
    public let message: String

    /// A warning about `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// A warning carrying the description of the error that caused the skip.
    public init(_ error: DataError) {
        self.init(path: error.path ?? "", message: error.description)
    }

    /// The message followed by what was done about it.
    public var description: String { "warning: \(message) (skipped)" }
}
