import TensorCore

/// One parameter's optimizer state: the step count and named buffers (`exp_avg`, `momentum_buffer`, …).
///
/// As in PyTorch, `step` is float32 (torch keeps it in a 0-d float32 tensor, so it stops counting
/// at 2^24) and buffers keep their insertion order, which is the order torch's `state_dict()` lists
/// them in (`step` first).
public struct OptimizerState: @unchecked Sendable {
    /// Steps taken, or nil for optimizers that keep none (SGD).
    public var step: Float?
    /// Buffer names in insertion order.
    public private(set) var keys: [String] = []
    private var buffers: [String: Tensor] = [:]

    /// A state with the given step and buffers (in order).
    public init(step: Float? = nil, _ buffers: [(String, Tensor)] = []) {
        self.step = step
        for (k, t) in buffers { self[k] = t }
    }

    /// The buffer under `key`; setting nil removes it.
    public subscript(key: String) -> Tensor? {
        get { buffers[key] }
        set {
            if let t = newValue {
                if buffers.updateValue(t, forKey: key) == nil, !keys.contains(key) { keys.append(key) }
            } else {
                buffers.removeValue(forKey: key)
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Whether there is neither a step nor a buffer (torch writes no entry for such a parameter).
    public var isEmpty: Bool { step == nil && buffers.isEmpty }

    /// Ordered (name, buffer) pairs, without the step.
    public var tensors: [(String, Tensor)] { keys.compactMap { k in buffers[k].map { (k, $0) } } }

    /// Removes a buffer for in-place use, leaving its key's position (so `put` restores the order and
    /// the tensor's storage is uniquely owned while the kernel writes it).
    mutating func take(_ key: String) -> Tensor? {
        buffers.removeValue(forKey: key)
    }

    /// Stores a buffer taken with `take` (or a new one, appended to the order).
    mutating func put(_ key: String, _ t: Tensor) {
        buffers[key] = t
        if !keys.contains(key) { keys.append(key) }
    }
}
