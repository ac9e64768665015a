import ArgumentParser
import Checkpoint
import Foundation
import Optimizers
import TensorCore

/// `cairn inspect`: what a `.pth`, `.safetensors` or checkpoint directory holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List tensors (name, dtype, shape, bytes), totals, metadata and trainer state of a checkpoint.",
        discussion: """
        PATH may be a .pth/.pt file (read weights-only: no code runs), a .safetensors file, or a
        Cairn checkpoint directory. Nested .pth objects are shown under dotted keys (model.0.weight).
        Training checkpoints (tutorial, {model, optimizer} or Lightning layout) also show epoch,
        global step, loss and the optimizer's type and parameter groups. The --json keys are
        documented in docs/cli.md.
        Examples:
          cairn inspect model.safetensors
          cairn inspect checkpoint.pth --json
          cairn inspect runs/exp1/checkpoints/epoch-0003
        """)

    @Argument(help: "A .pth, .safetensors or checkpoint directory.") var path: String
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    /// One listed tensor.
    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        var bytes: Int
        var file: String?
    }

    func run() throws {
        let path = try CheckpointSource.resolve(self.path)
        let format = try CheckpointSource.format(ofInput: path)
        var entries: [Entry] = []
        var metadata: [String: JSONValue] = [:]
        var trainer: [String: JSONValue]? = nil
        var layout: String? = nil
        switch format {
        case .safetensors:
            let f = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
            entries = f.names.map { n in
                let i = f.info(n)!
                return Entry(name: n, dtype: i.dtype, shape: i.shape, bytes: i.byteRange.count, file: nil)
            }
            for (k, v) in f.metadata ?? [:] { metadata[k] = .string(v) }
        case .pth:
            let value = try TorchFile.read(contentsOf: URL(fileURLWithPath: path))
            let optimizerKey = TorchCheckpointLayout.optimizerStateLocation(in: value)?.key
                .split(separator: "[").first.map(String.init)
            for (k, v) in try value.flattened() {
                if let t = v.tensorValue {
                    entries.append(Entry(name: k, dtype: t.dtype, shape: t.shape, bytes: t.count * t.dtype.byteSize, file: nil))
                } else if optimizerKey.map({ !(k == $0 || k.hasPrefix($0 + ".")) }) ?? true {
                    metadata[k] = JSONOutput.leaf(v)
                }
            }
            if let kind = TorchCheckpointLayout.kind(of: value) {
                layout = kind.rawValue
                if kind != .stateDict, let c = try? SingleFileCheckpoint(value, file: path) {
                    trainer = Self.trainerState(c)
                }
            }
        case .directory:
            let url = URL(fileURLWithPath: path)
            let state = try CheckpointStore.readTrainerState(url)
            for file in [CheckpointStore.modelFile, CheckpointStore.optimizerTensorsFile] {
                let p = url.appendingPathComponent(file)
                guard FileManager.default.fileExists(atPath: p.path) else { continue }
                let f = try SafetensorsFile(contentsOf: p)
                // safetensors sorts its keys; the fingerprint keeps the model's state-dict order.
                let rank = Dictionary(state.fingerprint.entries.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a })
                let names = file == CheckpointStore.modelFile
                    ? f.names.sorted { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) } : f.names.sorted()
                entries += names.map { n in
                    let i = f.info(n)!
                    return Entry(name: n, dtype: i.dtype, shape: i.shape, bytes: i.byteRange.count, file: file)
                }
            }
            var t: [String: JSONValue] = [
                "epoch": .int(Int64(state.epoch)), "global_step": .int(Int64(state.globalStep)),
                "metrics": .object(state.metrics.mapValues { .number($0) }),
                "saved_at": .string(ISO8601DateFormatter().string(from: state.savedAt)),
                "cairn_version": .string(state.cairnVersion), "format_version": .int(Int64(state.formatVersion)),
                "schedulers": .int(Int64(state.schedulers.count)),
            ]
            t["optimizer"] = try Self.directoryOptimizer(url.appendingPathComponent(CheckpointStore.optimizerFile))
            trainer = t
            layout = "cairn"
        }
        let totalBytes = entries.reduce(0) { $0 + $1.bytes }
        let totalElements = entries.reduce(0) { $0 + $1.shape.reduce(1, *) }
        if json {
            var out: [String: JSONValue] = [
                "path": .string(path), "format": .string(format.rawValue),
                "tensors": .array(entries.map { e in
                    var o = JSONOutput.tensor(name: e.name, dtype: e.dtype, shape: e.shape, bytes: e.bytes)
                    if let f = e.file, case .object(var d) = o { d["file"] = .string(f); o = .object(d) }
                    return o
                }),
                "tensor_count": .int(Int64(entries.count)), "total_bytes": .int(Int64(totalBytes)),
                "total_elements": .int(Int64(totalElements)), "metadata": .object(metadata),
                "layout": layout.map { .string($0) } ?? .null,
                "trainer_state": trainer.map { .object($0) } ?? .null,
            ]
            out["dtypes"] = .object(Dictionary(grouping: entries, by: { $0.dtype.rawValue })
                .mapValues { .int(Int64($0.count)) })
            try JSONOutput.print(.object(out))
            return
        }
        print("\(path) (\(format.rawValue)\(layout.map { ", layout \($0)" } ?? ""))")
        let label = { (e: Entry) in (e.file == CheckpointStore.optimizerTensorsFile ? "[optimizer] " : "") + e.name }
        let width = min(60, max(4, entries.map { label($0).count }.max() ?? 4))
        print("  " + "name".padding(toLength: width, withPad: " ", startingAt: 0) + "  dtype     shape                 bytes")
        for e in entries {
            let name = label(e)
            print("  " + name.padding(toLength: max(width, name.count), withPad: " ", startingAt: 0) + "  "
                  + e.dtype.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                  + "\(e.shape)".padding(toLength: 20, withPad: " ", startingAt: 0) + " " + String(e.bytes))
        }
        print("total: \(entries.count) tensors, \(totalElements) elements, \(totalBytes) bytes")
        if !metadata.isEmpty {
            print("metadata:")
            for k in metadata.keys.sorted() { print("  \(k): \(Self.text(metadata[k]!))") }
        }
        if let trainer {
            print("trainer state:")
            for k in trainer.keys.sorted() { print("  \(k): \(Self.text(trainer[k]!))") }
        }
    }

    /// Epoch, step, loss and optimizer summary of a single-file training checkpoint.
    static func trainerState(_ c: SingleFileCheckpoint) -> [String: JSONValue] {
        var t: [String: JSONValue] = [
            "epoch": c.epoch.map { .int(Int64($0)) } ?? .null,
            "global_step": c.globalStep.map { .int(Int64($0)) } ?? .null,
            "metrics": .object(c.loss.map { ["loss": .number($0)] } ?? [:]),
            "saved_at": .null, "cairn_version": .null,
        ]
        if let o = c.optimizer {
            t["optimizer"] = .object([
                "type": OptimizerConversion.guessType(o).map { .string($0) } ?? .null,
                "groups": .array(o.paramGroups.map { g in
                    let params = g["params"]?.arrayValue?.count ?? 0
                    let options = HyperDict(g.pairs.filter { $0.0 != "params" && $0.0 != "param_names" })
                    return .object(["param_count": .int(Int64(params)), "options": JSONOutput.hyper(options)])
                }),
                "state_count": .int(Int64(o.state.count)),
            ])
        } else {
            t["optimizer"] = .null
        }
        return t
    }

    /// Type and groups from a directory's `optimizer.json` (nil when it has none).
    static func directoryOptimizer(_ url: URL) throws -> JSONValue {
        guard FileManager.default.fileExists(atPath: url.path) else { return .null }
        let doc: JSONValue
        do { doc = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url)) } catch {
            throw CLIError.badInput("\(url.path): not valid JSON (\(error.localizedDescription))")
        }
        let groups = doc["param_groups"]?.arrayValue ?? []
        return .object([
            "type": doc["type"] ?? .null,
            "groups": .array(groups.map { g in
                .object(["param_count": .int(Int64(g["param_names"]?.arrayValue?.count ?? 0)), "options": (try? g["options"]?.decode(HyperDict.self)).flatMap { $0.map(JSONOutput.hyper) } ?? .null])
            }),
            "state_count": .int(Int64(doc["state"]?.arrayValue?.count ?? 0)),
        ])
    }

    /// Compact one-line text of a JSON value for the table output.
    static func text(_ v: JSONValue) -> String {
        switch v {
        case .null: return "-"
        case .string(let s): return s
        default:
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? String(decoding: e.encode(v), as: UTF8.self)) ?? "?"
        }
    }
}
