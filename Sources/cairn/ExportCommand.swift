import ArgumentParser
import Checkpoint
import Foundation
import Training

/// `cairn export CKPT OUT.safetensors`: a code-free model file (spec, weights, class map, run config).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a checkpoint's model to one self-describing .safetensors file.",
        discussion: """
        The file holds the weights, the model spec, the class map and the run config, so `cairn eval`
        and `cairn predict` work from it alone.
        Example:
          cairn export runs/shapes/checkpoints/latest shapes.safetensors
        """)

    @Argument(help: "Checkpoint directory or runs/x/checkpoints/latest.") var checkpoint: String
    @Argument(help: "Output .safetensors file.") var output: String
    @Flag(help: "Replace an existing output file.") var force = false

    func run() throws {
        guard output.hasSuffix(".safetensors") else { throw CLIError.usage("\(output): the output must end in .safetensors") }
        if !force && FileManager.default.fileExists(atPath: output) { throw CLIError.outputExists(path: output) }
        let m = try TrainedModel.cli(checkpoint)
        var meta: [String: String] = [:]
        if let map = m.classMap { meta[FineTuner.classMapMetadataKey] = String(decoding: try JSONEncoder().encode(map), as: UTF8.self) }
        if let cfg = m.config { meta[TrainedModel.configMetadataKey] = String(decoding: try JSONEncoder().encode(cfg), as: UTF8.self) }
        try ModelFile.export(model: m.model, spec: m.spec, to: URL(fileURLWithPath: output), extraMetadata: meta)
        print("wrote \(output)")
    }
}
