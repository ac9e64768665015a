import Checkpoint
import Foundation
import NN
import TensorCore

/// Checkpoints the CLI tests create through the library.
enum CLITestData {
    /// A small state dict with a float32 and an int64 tensor.
    static func stateDict(scale: Float = 1) -> StateDict {
        StateDict([("fc.weight", Tensor([1, 2, 3, 4, 5, 6].map { $0 * scale }, shape: [2, 3])),
                   ("fc.bias", Tensor([0.5, -0.5], shape: [2])),
                   ("bn.num_batches_tracked", Tensor(int64: [7], shape: []))])
    }

    /// Saves a checkpoint directory at `url` (epoch 2, step 40, loss 0.25) and returns it.
    @discardableResult
    static func saveDirectory(at url: URL, scale: Float = 1) throws -> URL {
        let sd = stateDict(scale: scale)
        let state = TrainerState(epoch: 2, globalStep: 40, metrics: ["loss": 0.25],
                                 fingerprint: ArchitectureFingerprint(stateDict: sd))
        try CheckpointStore.save(Checkpoint(model: sd, trainerState: state), to: url, fsync: false)
        return url
    }
}
