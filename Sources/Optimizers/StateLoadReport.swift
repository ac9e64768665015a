/// What a state load did, by parameter name: carried over, started fresh, dropped, or mismatched.
public struct StateLoadReport: Equatable, Sendable, CustomStringConvertible {
    /// Parameters whose saved moments and step were loaded.
    public var carried: [String] = []
    /// Parameters with no saved state; they start fresh.
    public var fresh: [String] = []
    /// Saved state with no parameter of that name (or, for torch indices without a name, `#index`).
    public var dropped: [String] = []
    /// Parameters whose saved buffers have another shape; they start fresh too.
    public var mismatched: [String] = []
    /// Whether the groups' hyper-parameters were replaced by the saved ones (torch-structure loads only).
    public var loadedHyperParameters = false

    /// Creates an empty report.
    public init() {}

    /// A one-line-per-category summary.
    public var description: String {
        var lines = ["carried \(carried.count) parameters"]
        if !fresh.isEmpty { lines.append("fresh: \(fresh.joined(separator: ", "))") }
        if !dropped.isEmpty { lines.append("dropped: \(dropped.joined(separator: ", "))") }
        if !mismatched.isEmpty { lines.append("shape mismatch (fresh): \(mismatched.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
