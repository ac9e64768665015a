import Checkpoint
import Foundation
import NN
import Optimizers
import TensorCore

/// A checkpoint on disk as the CLI sees it: which format, and how to open it.
enum CheckpointSource {
    /// The three formats `cairn` reads and writes.
    enum Format: String {
        case pth, safetensors, directory
    }

    /// The path itself, except that `…/latest` (when no such file exists) names the newest checkpoint
    /// in that directory that verifies; skipped corrupt ones are reported on stderr.
    static func resolve(_ path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        guard url.lastPathComponent == "latest", !FileManager.default.fileExists(atPath: path) else { return path }
        let parent = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: parent.path) else {
            throw CLIError.badInput("\(path): no such file or directory")
        }
        let found = try LatestCheckpoint.find(in: parent, backend: DirectoryStoreBackend())
        for w in found.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        guard let entry = found.checkpoint else {
            throw CLIError.badInput("\(path): \(parent.path) holds no checkpoint that verifies")
        }
        return entry.url.path
    }

    /// The format of an existing input path: a directory, or a file by extension (`.pth`, `.pt`,
    /// `.bin`, `.ckpt` are torch zip files; `.safetensors` is safetensors).
    static func format(ofInput path: String) throws -> Format {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CLIError.badInput("\(path): no such file or directory")
        }
        if isDir.boolValue { return .directory }
        guard let f = format(ofExtension: path) else {
            throw CLIError.usage("\(path): unknown extension (expected .pth, .pt, .safetensors or a checkpoint directory)")
        }
        return f
    }

    /// The format an output path asks for: by extension, a directory when it has none.
    static func format(ofOutput path: String) throws -> Format {
        let ext = URL(fileURLWithPath: path).pathExtension
        if ext.isEmpty { return .directory }
        guard let f = format(ofExtension: path) else {
            throw CLIError.usage("\(path): unknown extension '.\(ext)' (expected .pth, .pt, .safetensors, or no extension for a directory)")
        }
        return f
    }

    private static func format(ofExtension path: String) -> Format? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "safetensors": return .safetensors
        case "pth", "pt", "bin", "ckpt", "tar": return .pth
        default: return nil
        }
    }

    /// The flat tensor view used by `diff`: safetensors keys; a `.pth` flattened to dotted keys; a
    /// directory's model keys plus `optimizer.<param>.<buffer>`. With `modelOnly`, a training
    /// checkpoint contributes only its model state dict (prefixes such as `module.` removed).
    static func tensors(at path: String, modelOnly: Bool) throws -> [(key: String, tensor: Tensor)] {
        let path = try resolve(path)
        switch try format(ofInput: path) {
        case .safetensors:
            return try SafetensorsFile(contentsOf: URL(fileURLWithPath: path)).tensors().map { (key: $0.name, tensor: $0.tensor) }
        case .pth:
            let value = try TorchFile.read(contentsOf: URL(fileURLWithPath: path))
            if modelOnly {
                return try TorchCheckpointLayout.modelStateDict(in: value, file: path).stateDict.pairs.map { (key: $0.0, tensor: $0.1) }
            }
            return try flatTensors(value, file: path)
        case .directory:
            let ckpt = try CheckpointStore.load(from: URL(fileURLWithPath: path))
            var out = ckpt.model.pairs.map { (key: $0.0, tensor: $0.1) }
            if !modelOnly, let opt = ckpt.optimizer {
                for name in opt.state.keys.sorted() {
                    let s = opt.state[name]!
                    if let step = s.step { out.append((key: "optimizer.\(name).step", tensor: Tensor(scalar: step))) }
                    for (k, t) in s.tensors { out.append((key: "optimizer.\(name).\(k)", tensor: t)) }
                }
            }
            return out
        }
    }

    /// Every tensor of a `.pth` value under its dotted key; a flattening collision names the file.
    static func flatTensors(_ value: CheckpointValue, file: String) throws -> [(key: String, tensor: Tensor)] {
        do { return try value.flattenedTensors() } catch TorchFileError.unexpectedStructure(_, let key, let expected, let found) {
            throw TorchFileError.unexpectedStructure(file: file, key: key, expected: expected, found: found)
        }
    }
}
