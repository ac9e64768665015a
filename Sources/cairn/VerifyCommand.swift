import ArgumentParser
import Checkpoint
import Foundation
import TensorCore

/// `cairn verify`: whether a checkpoint is intact.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a checkpoint's structure and checksums; exit 0 when intact, 1 with the reason when not.",
        discussion: """
        A checkpoint directory: manifest.json, every file's size and SHA-256, no missing or extra
        files, parseable JSON and safetensors headers, and agreement between the files.
        A .safetensors file: the whole header (spec order) and every tensor's data range, read.
        A .pth file: the zip archive (CRC-32 of every record), the pickle (weights-only: no code
        runs) and every tensor's storage, read.
        Examples:
          cairn verify runs/exp1/checkpoints/epoch-0003
          cairn verify model.safetensors && echo ok
        """)

    @Argument(help: "A .pth, .safetensors or checkpoint directory.") var path: String
    @Flag(help: "Print one JSON object (on success).") var json = false

    func run() throws {
        let path = try CheckpointSource.resolve(self.path)
        let format = try CheckpointSource.format(ofInput: path)
        var tensors = 0, bytes = 0
        var detail = ""
        switch format {
        case .directory:
            let r = try CheckpointStore.verify(URL(fileURLWithPath: path))
            tensors = r.modelTensorCount
            bytes = r.totalBytes
            detail = "format \(r.formatVersion), cairn \(r.cairnVersion), epoch \(r.epoch), step \(r.globalStep), "
                + "\(r.files.count) files checksummed\(r.hasOptimizer ? ", optimizer state" : "")"
        case .safetensors:
            let f = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path), mmap: false)
            for (_, t) in try f.tensors() { tensors += 1; bytes += Self.touch(t) }
            detail = "header and data validated"
        case .pth:
            let value = try TorchFile.read(contentsOf: URL(fileURLWithPath: path))
            for (_, t) in try CheckpointSource.flatTensors(value, file: path) { tensors += 1; bytes += Self.touch(t) }
            detail = "archive, pickle and storages validated"
        }
        if json {
            try JSONOutput.print(.object(["path": .string(path), "format": .string(format.rawValue), "ok": .bool(true),
                                          "tensor_count": .int(Int64(tensors)), "bytes": .int(Int64(bytes)), "detail": .string(detail)]))
        } else {
            print("\(path): OK (\(format.rawValue), \(tensors) tensors, \(bytes) bytes; \(detail))")
        }
    }

    /// Copies the tensor's elements (so every byte is read) and returns its byte size.
    static func touch(_ t: Tensor) -> Int {
        let c = t.contiguousCopy()
        return c.count * c.dtype.byteSize
    }
}
