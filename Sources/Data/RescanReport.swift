/// What `ImageFolder.rescan()` changed.
public struct RescanReport: Equatable, Sendable, CustomStringConvertible {
    /// Class names appended to the class map, in index order.
    public let addedClasses: [String]
    /// Relative paths of images that are new to the dataset, in dataset order.
    public let addedImages: [String]
    /// Relative paths of images no longer in the dataset.
    public let removedImages: [String]
    /// Files and folders left out by this scan.
    public let warnings: [DataWarning]

    /// Whether the dataset's examples changed.
    public var changed: Bool { !addedClasses.isEmpty || !addedImages.isEmpty || !removedImages.isEmpty }

    /// One line summarising the changes.
    public var description: String {
        var parts = ["\(addedImages.count) image(s) added", "\(removedImages.count) removed"]
        if !addedClasses.isEmpty { parts.append("new classes: \(addedClasses.joined(separator: ", "))") }
        if !warnings.isEmpty { parts.append("\(warnings.count) warning(s)") }
        return "rescan: " + parts.joined(separator: ", ")
    }
}
