import ArgumentParser
import Foundation
import TensorCore

extension Cairn {
    /// Parses and runs a subcommand, mapping every thrown error to a message on stderr and an exit
    /// status (0 success, 1 bad input, 2 bad usage) instead of ArgumentParser's defaults.
    static func main() {
        // A file-size limit (ulimit -f) must fail the write with EFBIG and a message, not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        // Training steps re-allocate the same large buffers; keep them in the heap (see Allocator).
        Allocator.keepFreedBuffers()
        let status: Int32
        do {
            var command = try parseAsRoot()
            try command.run()
            status = 0
        } catch {
            let (message, code, toStdout) = CLIError.report(error, command: Cairn.self)
            if !message.isEmpty {
                if toStdout { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            }
            status = code
        }
        Foundation.exit(status)
    }
}
