import ArgumentParser
import Checkpoint
import Foundation
import NN
import Optimizers
import TensorCore

/// `cairn convert`: between `.pth`, `.safetensors` and checkpoint directories.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between .pth, .safetensors and checkpoint directories (chosen by extension).",
        discussion: """
        OUT's format follows its extension: .safetensors, .pth/.pt, or a checkpoint directory when
        it has none. Nested .pth objects flatten to dotted keys (model_state_dict.0.weight) in
        safetensors; the non-tensor values (epoch, loss, hyper-parameters) go into the metadata as
        JSON under "cairn.leaf.<key>" and the nesting depth under "cairn.nest_levels", so converting
        back rebuilds the dicts (one level of nesting; tensor values are bit-identical).
        A .pth training checkpoint (tutorial, {model, optimizer} or Lightning layout) becomes a
        directory with the model state in model.safetensors and, when present, the optimizer state
        in optimizer.safetensors/optimizer.json (parameter names from param_names, else the model's
        parameter keys in order). A directory becomes a tutorial-layout .pth, or a .safetensors of
        the model tensors. An existing OUT is replaced only with --force.
        Examples:
          cairn convert checkpoint.pth model.safetensors
          cairn convert checkpoint.pth runs/imported/epoch-0010
          cairn convert runs/exp1/checkpoints/epoch-0003 exported.pth --force
        """)

    @Argument(help: "Input .pth, .safetensors or checkpoint directory.") var input: String
    @Argument(help: "Output path (.pth, .safetensors, or no extension for a directory).") var output: String
    @Flag(help: "Replace OUT if it exists.") var force = false

    /// Safetensors metadata key holding how many key components were dict levels in the `.pth`.
    static let nestLevelsKey = "cairn.nest_levels"
    /// Safetensors metadata key prefix of a non-tensor `.pth` value, JSON-encoded.
    static let leafPrefix = "cairn.leaf."

    func run() throws {
        let input = try CheckpointSource.resolve(self.input)
        let inFormat = try CheckpointSource.format(ofInput: input)
        let outFormat = try CheckpointSource.format(ofOutput: output)
        let inURL = URL(fileURLWithPath: input).standardizedFileURL
        let outURL = URL(fileURLWithPath: output).standardizedFileURL
        guard inURL.path != outURL.path else { throw CLIError.usage("IN and OUT are the same path (\(input))") }
        try prepareOutput(outURL, format: outFormat)

        switch (inFormat, outFormat) {
        case (.safetensors, .safetensors):
            let f = try SafetensorsFile(contentsOf: inURL)
            try Safetensors.write(try f.tensors(), metadata: f.metadata, to: outURL)
        case (.pth, .pth):
            try TorchFile.write(try TorchFile.read(contentsOf: inURL), to: outURL)
        case (.pth, .safetensors):
            let (pairs, metadata) = try Self.flatten(try TorchFile.read(contentsOf: inURL), file: input)
            try Safetensors.write(pairs, metadata: metadata, to: outURL)
        case (.safetensors, .pth):
            try TorchFile.write(try Self.nestedValue(SafetensorsFile(contentsOf: inURL)), to: outURL)
        case (.directory, .safetensors):
            let c = try CheckpointStore.load(from: inURL)
            try Safetensors.write(c.model.pairs.map { (name: $0.0, tensor: $0.1) }, metadata: ["format": "pt"], to: outURL)
        case (.directory, .pth):
            let c = try CheckpointStore.load(from: inURL)
            var single = SingleFileCheckpoint(model: c.model, optimizer: c.optimizer.map(OptimizerConversion.stateDict),
                                              epoch: c.trainerState.epoch, loss: c.trainerState.metrics["loss"])
            single.globalStep = c.trainerState.globalStep
            try single.write(to: outURL)
        case (.directory, .directory):
            try CheckpointStore.save(try CheckpointStore.load(from: inURL), to: outURL)
        case (.pth, .directory):
            try CheckpointStore.save(try Self.checkpoint(from: TorchFile.read(contentsOf: inURL), file: input), to: outURL)
        case (.safetensors, .directory):
            let f = try SafetensorsFile(contentsOf: inURL)
            if f.metadata?[Self.nestLevelsKey] != nil {
                try CheckpointStore.save(try Self.checkpoint(from: Self.nestedValue(f), file: input), to: outURL)
            } else {
                let sd = StateDict(try f.tensors().map { ($0.name, $0.tensor) })
                try CheckpointStore.save(Self.checkpoint(model: sd), to: outURL)
            }
        }
        print("wrote \(output) (\(outFormat.rawValue)) from \(input) (\(inFormat.rawValue))")
    }

    /// Refuses an existing OUT without `--force`; with it, removes a file that stands where a
    /// directory goes (a checkpoint directory is replaced atomically by the store instead).
    private func prepareOutput(_ url: URL, format: CheckpointSource.Format) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else { return }
        guard force else { throw CLIError.outputExists(path: output) }
        if isDir.boolValue && format != .directory {
            throw CLIError.usage("\(output): is a directory; a .\(format.rawValue) file cannot replace it")
        }
        if !isDir.boolValue && format == .directory {
            do { try FileManager.default.removeItem(at: url) } catch {
                throw CLIError.badInput("\(output): cannot remove: \(error.localizedDescription)")
            }
        }
    }

    /// Tensors under dotted keys plus metadata recording the non-tensor leaves and nesting depth.
    static func flatten(_ value: CheckpointValue, file: String) throws
        -> (pairs: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        var pairs: [(name: String, tensor: Tensor)] = []
        var metadata = ["format": "pt"]
        let leaves: [(key: String, value: CheckpointValue)]
        do { leaves = try value.flattened() } catch TorchFileError.unexpectedStructure(_, let key, let expected, let found) {
            throw TorchFileError.unexpectedStructure(file: file, key: key, expected: expected, found: found)
        }
        for (k, v) in leaves {
            if let t = v.tensorValue { pairs.append((name: k, tensor: t)); continue }
            let json = try JSONOutput.render(JSONOutput.leaf(v)).replacingOccurrences(of: "\n", with: "")
            metadata[leafPrefix + k] = json
        }
        if !TorchCheckpointLayout.isStateDict(value) { metadata[nestLevelsKey] = "1" }
        return (pairs, metadata)
    }

    /// The `.pth` object for a safetensors file: a flat state dict, or the dicts `flatten` recorded.
    static func nestedValue(_ f: SafetensorsFile) throws -> CheckpointValue {
        var pairs: [(key: String, value: CheckpointValue)] = try f.tensors().map { (key: $0.name, value: .tensor($0.tensor)) }
        let meta = f.metadata ?? [:]
        guard let levelsText = meta[nestLevelsKey] else {
            return .nested(pairs, levels: 0)
        }
        guard let levels = Int(levelsText), levels >= 0 else {
            throw CLIError.badInput("\(f.source): metadata \(nestLevelsKey) is '\(levelsText)', expected a non-negative integer")
        }
        for k in meta.keys.sorted() where k.hasPrefix(leafPrefix) {
            let key = String(k.dropFirst(leafPrefix.count))
            let json: JSONValue
            do { json = try JSONDecoder().decode(JSONValue.self, from: Data(meta[k]!.utf8)) } catch {
                throw CLIError.badInput("\(f.source): metadata \(k) is not valid JSON")
            }
            pairs.append((key: key, value: leafValue(json)))
        }
        return .nested(pairs, levels: levels)
    }

    /// A JSON scalar back as a `.pth` value.
    static func leafValue(_ j: JSONValue) -> CheckpointValue {
        switch j {
        case .null: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .number(let d): return .double(d)
        case .string(let s):
            switch s { case "nan": return .double(.nan); case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity); default: return .string(s) }
        case .array(let a): return .list(a.map(leafValue))
        case .object(let o): return .dict(o.keys.sorted().map { (key: .string($0), value: leafValue(o[$0]!)) })
        }
    }

    /// A Cairn checkpoint from a `.pth` state dict or training checkpoint.
    static func checkpoint(from value: CheckpointValue, file: String) throws -> Checkpoint {
        let single = try SingleFileCheckpoint(value, file: file)
        var c = checkpoint(model: single.model)
        c.trainerState.epoch = single.epoch ?? 0
        c.trainerState.globalStep = single.globalStep ?? 0
        if let loss = single.loss { c.trainerState.metrics["loss"] = loss }
        if let o = single.optimizer {
            do { c.optimizer = try OptimizerConversion.snapshot(o, modelKeys: single.model.keys) } catch {
                throw CLIError.badInput("\(file): optimizer state: \(error)")
            }
        }
        return c
    }

    /// A checkpoint holding only model tensors.
    static func checkpoint(model: StateDict) -> Checkpoint {
        Checkpoint(model: model, trainerState: TrainerState(fingerprint: ArchitectureFingerprint(stateDict: model)))
    }
}
