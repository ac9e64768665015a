// Saves checkpoints in a loop until killed, for the crash-safety test (CrashSafetyTests).
//
// Usage: cairn-crash-helper <directory> <first step> [slots]
// Each iteration n saves a ~20 MB checkpoint whose every model value is Float(step) to
// <directory>/ckpt-<step % slots> (so names get replaced), then prints "saved <name> <step>" and
// flushes stdout: a line on stdout means that save completed.
import Foundation
import TensorCore
import NN
import Optimizers
import Checkpoint

let args = CommandLine.arguments
guard args.count >= 3, let first = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: cairn-crash-helper <directory> <first step> [slots]\n".utf8))
    exit(2)
}
let dir = URL(fileURLWithPath: args[1])
let slots = args.count > 3 ? Int(args[3]) ?? 3 : 3

/// A checkpoint whose tensors all hold `step`, so a reader can tell a torn mix of two saves.
func checkpoint(step: Int) -> Checkpoint {
    let v = Float(step)
    let model = StateDict([
        ("0.weight", Tensor(repeating: v, shape: [2_500, 2_000])),
        ("0.bias", Tensor(repeating: v, shape: [2_500])),
    ])
    let entries = model.map { ArchitectureFingerprint.Entry(key: $0.0, shape: $0.1.shape, dtype: $0.1.dtype, isParameter: true) }
    let optimizer = OptimizerSnapshot(
        typeName: "SGD", groups: [.init(paramNames: ["0.weight", "0.bias"], options: ["lr": .double(0.1)])],
        state: ["0.bias": OptimizerState(step: v, [("momentum_buffer", Tensor(repeating: v, shape: [2_500]))])])
    let state = TrainerState(epoch: step, globalStep: step, metrics: ["loss": 1 / Double(step + 1)],
                             fingerprint: ArchitectureFingerprint(entries: entries))
    return Checkpoint(model: model, optimizer: optimizer, trainerState: state)
}

var step = first
while true {
    let name = "ckpt-\(step % slots)"
    do {
        try CheckpointStore.save(checkpoint(step: step), to: dir.appendingPathComponent(name))
    } catch {
        FileHandle.standardError.write(Data("save \(name) step \(step) failed: \(error)\n".utf8))
        exit(1)
    }
    print("saved \(name) \(step)")
    fflush(stdout)
    step += 1
}
