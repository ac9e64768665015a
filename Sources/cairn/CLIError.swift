import ArgumentParser
import Checkpoint
import Foundation
import TensorCore

/// A failure of a `cairn` command, with the exit code it maps to: 1 for bad input, 2 for bad usage.
enum CLIError: Error, CustomStringConvertible {
    /// The command line asks for something impossible (wrong extension, same file twice, …).
    case usage(String)
    /// An input file or directory is missing, malformed or corrupt.
    case badInput(String)
    /// The output exists and `--force` was not given.
    case outputExists(path: String)
    /// A check the command runs did not pass (e.g. `selftest`), or a child process failed.
    case failed(String)

    var description: String {
        switch self {
        case .usage(let m), .badInput(let m), .failed(let m): return m
        case .outputExists(let p): return "\(p): already exists (pass --force to replace it)"
        }
    }

    /// Process exit status for bad input.
    static let badInputStatus: Int32 = 1
    /// Process exit status for bad usage (parse errors, unknown options, wrong arguments).
    static let usageStatus: Int32 = 2

    /// The one-line message and exit status for any error a command may throw; parse errors and
    /// `--help` go through ArgumentParser's own formatting.
    static func report(_ error: Error, command: ParsableCommand.Type) -> (message: String, status: Int32, toStdout: Bool) {
        switch error {
        case let e as CLIError:
            if case .usage = e { return ("cairn: usage error: \(e.description)", usageStatus, false) }
            return ("cairn: error: \(e.description)", badInputStatus, false)
        case let e as ExitCode:
            return ("", e.rawValue, true)
        case is SafetensorsError, is TorchFileError, is CheckpointError, is CheckpointManagerError:
            return ("cairn: error: \(error)", badInputStatus, false)
        case is BenchError:
            return ("cairn: error: \(error)", badInputStatus, false)
        default:
            break
        }
        // Anything else came from ArgumentParser (parse/validation errors, --help, --version).
        let code = command.exitCode(for: error)
        let message = command.fullMessage(for: error)
        if code == .success { return (message, 0, true) }
        if code == .validationFailure { return (message, usageStatus, false) }
        return ("cairn: error: \(error)", badInputStatus, false)
    }
}
