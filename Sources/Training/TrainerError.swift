import Foundation

/// Why a training run could not start, continue or finish.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// Another live process holds the run directory's lock.
    case runLocked(path: String, holderPID: Int32?, holderHost: String?)
    /// The lock file could not be created or locked.
    case lockFailed(path: String, reason: String)
    /// The loss became NaN or ±inf (and the policy is `.stop`).
    case nonFiniteLoss(step: Int, epoch: Int, value: Float)
    /// The gradient norm became NaN or ±inf while clipping (and the policy is `.stop`).
    case nonFiniteGradient(step: Int, epoch: Int, norm: Float)
    /// A parameter holds NaN or ±inf, so no checkpoint was written.
    case nonFiniteParameters(step: Int, name: String)
    /// Resuming was required but the run directory holds no valid checkpoint.
    case noCheckpoint(directory: String)
    /// The checkpoint holds only weights (`checkpoint.weights_only`), so a run cannot resume from it.
    case weightsOnlyCheckpoint(path: String)
    /// A class index in the data is beyond the model's outputs (the data has more classes than the head).
    case labelOutOfRange(label: Int, className: String?, outputs: Int, data: String)
    /// A saved trainer state field is missing or malformed.
    case badState(key: String, reason: String)
    /// The options are inconsistent.
    case invalidOptions(String)
    /// Writing a log file failed.
    case io(path: String, reason: String)

    /// A one-line message naming the file, key or step involved.
    public var description: String {
        switch self {
        case let .runLocked(path, pid, host):
            let who = [pid.map { "pid \($0)" }, host.map { "on \($0)" }].compactMap { $0 }.joined(separator: " ")
            return "run directory is in use: \(path) is held by \(who.isEmpty ? "another process" : who)"
        case let .lockFailed(path, reason): return "cannot lock \(path): \(reason)"
        case let .nonFiniteLoss(step, epoch, value):
            return "loss is \(value) at global step \(step) (epoch \(epoch)); stopping (nanPolicy: stop)"
        case let .nonFiniteGradient(step, epoch, norm):
            return "gradient norm is \(norm) at global step \(step) (epoch \(epoch)); stopping (nanPolicy: stop)"
        case let .nonFiniteParameters(step, name):
            return "parameter \(name) is not finite at global step \(step); checkpoint not saved"
        case let .noCheckpoint(dir): return "no valid checkpoint to resume from in \(dir)"
        case let .weightsOnlyCheckpoint(path):
            return "\(path) holds only model weights (checkpoint.weights_only: true), so the run cannot resume from it "
                + "(no optimizer, RNG or data position); fine-tune from it instead (cairn finetune --from)"
        case let .labelOutOfRange(label, name, outputs, data):
            return "\(data): class \(label)\(name.map { " ('\($0)')" } ?? "") is beyond the model's \(outputs) outputs; "
                + "the data has more classes than the model's last layer: remove the extra class folders, "
                + "or grow the head with cairn finetune (finetune.head.classes)"
        case let .badState(key, reason): return "trainer_state.json: key \(key): \(reason)"
        case let .invalidOptions(reason): return "invalid trainer options: \(reason)"
        case let .io(path, reason): return "\(path): \(reason)"
        }
    }
}
