/// Version of the Cairn checkpoint layout and of the toolkit that wrote it.
public enum CheckpointVersion {
    /// Toolkit version recorded in `trainer_state.json`.
    public static let toolkit = "0.1.0"
    /// Layout version of checkpoint directories (bumped on incompatible changes).
    public static let format = 1
}
