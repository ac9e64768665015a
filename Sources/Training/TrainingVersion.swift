/// Identifies the training layer in run logs.
public enum TrainingInfo {
    /// Name written at the top of run logs.
    public static let name = "cairn-training"
}
