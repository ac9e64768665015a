import Checkpoint

extension CheckpointConfig {
    /// The parsed `filename` template.
    public func filenameTemplate() throws -> FilenameTemplate { try FilenameTemplate(filename) }

    /// When to save, for `CheckpointManager` (keep_best also saves whenever its metric improves).
    public var saveSchedule: SaveSchedule {
        SaveSchedule(everyNSteps: everyNSteps, everyNEpochs: everyNEpochs, everyNSeconds: everyNSeconds,
                     onImprovement: keepBest.map { MetricMonitor($0.monitor, mode: $0.mode == .max ? .max : .min) })
    }

    /// What to keep, for `CheckpointManager`.
    public var retentionPolicy: RetentionPolicy {
        RetentionPolicy(keepLast: keepLast, keepBest: keepBest.map {
            RetentionPolicy.KeepBest(MetricMonitor($0.monitor, mode: $0.mode == .max ? .max : .min), count: $0.k)
        })
    }
}

extension RunConfig {
    /// A filename template that does not parse.
    func checkpointIssue() -> ConfigIssue? {
        do { _ = try checkpoint.filenameTemplate() } catch { return ConfigIssue("checkpoint.filename", "\(error)") }
        return nil
    }
}
