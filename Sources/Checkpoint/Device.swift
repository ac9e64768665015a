/// Where tensors read from a checkpoint are placed (PyTorch's `map_location`); CPU is the only device so far.
///
/// Storages saved from any location (`cuda:0`, `mps`, …) load onto the chosen device.
public enum Device: String, Codable, Sendable, CaseIterable {
    /// Host memory.
    case cpu
}
