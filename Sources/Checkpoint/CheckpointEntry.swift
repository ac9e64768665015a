import Foundation

/// One checkpoint directory as listed from its trainer state (not yet verified unless stated).
public struct CheckpointEntry: Sendable, Equatable {
    /// Directory name.
    public var name: String
    /// Full path.
    public var url: URL
    /// Global step from the trainer state.
    public var globalStep: Int
    /// Epoch from the trainer state.
    public var epoch: Int
    /// Metrics from the trainer state.
    public var metrics: [String: Double]
    /// Capture time from the trainer state (whole seconds).
    public var savedAt: Date
    /// The directory's modification time, a finer tie-break between equal steps and `savedAt`.
    public var modifiedAt: Date?

    /// Makes an entry.
    public init(name: String, url: URL, globalStep: Int, epoch: Int, metrics: [String: Double], savedAt: Date,
                modifiedAt: Date? = nil) {
        self.name = name
        self.url = url
        self.globalStep = globalStep
        self.epoch = epoch
        self.metrics = metrics
        self.savedAt = savedAt
        self.modifiedAt = modifiedAt
    }

    /// True when `a` was written after `b`: by capture time, then directory time, then name.
    static func isCreatedAfter(_ a: CheckpointEntry, _ b: CheckpointEntry) -> Bool {
        if a.savedAt != b.savedAt { return a.savedAt > b.savedAt }
        let am = a.modifiedAt ?? .distantPast, bm = b.modifiedAt ?? .distantPast
        if am != bm { return am > bm }
        return a.name > b.name
    }

    /// Newest-first order used by `latest`: higher global step, then later creation.
    static func isNewer(_ a: CheckpointEntry, than b: CheckpointEntry) -> Bool {
        if a.globalStep != b.globalStep { return a.globalStep > b.globalStep }
        return isCreatedAfter(a, b)
    }
}
