/// What retention needs to know about one existing checkpoint directory.
public struct RetentionCandidate: Sendable, Equatable {
    /// Directory name (unique within the checkpoint directory).
    public var name: String
    /// Global step recorded in its trainer state.
    public var globalStep: Int
    /// Epoch recorded in its trainer state.
    public var epoch: Int
    /// Metrics recorded in its trainer state.
    public var metrics: [String: Double]
    /// Whether it verified (a corrupt or unreadable checkpoint is never "last" or "best").
    public var isValid: Bool
    /// Creation order, larger = written later; breaks ties between equal global steps.
    public var order: Int

    /// Describes one checkpoint.
    public init(name: String, globalStep: Int, epoch: Int = 0, metrics: [String: Double] = [:],
                isValid: Bool = true, order: Int = 0) {
        self.name = name
        self.globalStep = globalStep
        self.epoch = epoch
        self.metrics = metrics
        self.isValid = isValid
        self.order = order
    }

    /// Newest-first ordering used for "last" and "latest": higher global step, then later creation, then name.
    static func isNewer(_ a: RetentionCandidate, than b: RetentionCandidate) -> Bool {
        if a.globalStep != b.globalStep { return a.globalStep > b.globalStep }
        if a.order != b.order { return a.order > b.order }
        return a.name > b.name
    }
}
