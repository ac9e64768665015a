import ArgumentParser
import Checkpoint
import Foundation
import Training

/// `cairn predict CKPT IMAGE...`: the top class and class probabilities of each image.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images with a checkpoint or exported model (preprocessed as in training).",
        discussion: """
        Examples:
          cairn predict runs/shapes/checkpoints/latest img.png
          cairn predict model.safetensors a.png b.png --json
        """)

    @Argument(help: "Checkpoint directory, runs/x/checkpoints/latest, or a model file from `cairn export`.") var checkpoint: String
    @Argument(help: "Image files.") var images: [String]
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard !images.isEmpty else { throw CLIError.usage("predict: give at least one image") }
        let m = try TrainedModel.cli(checkpoint)
        let rows: [[Float]]
        do { rows = try m.predict(images: images.map { URL(fileURLWithPath: $0) }) } catch let e as TrainerError {
            throw CLIError.badInput("\(e)")
        }
        let names = m.classMap?.names ?? []
        func name(_ i: Int) -> String { i < names.count ? names[i] : "\(i)" }
        var out: [JSONValue] = []
        for (path, p) in zip(images, rows) {
            let top = p.indices.max { p[$0] < p[$1] } ?? 0
            if json {
                var probs: [String: JSONValue] = [:]
                for (i, v) in p.enumerated() { probs[name(i)] = .number(Double(v)) }
                out.append(.object(["image": .string(path), "class": .string(name(top)), "index": .int(Int64(top)),
                                    "probabilities": .object(probs)]))
            } else {
                print("\(path): \(name(top)) " + String(format: "%.4f", p[top]) + "  ("
                      + p.enumerated().map { "\(name($0.offset)) \(String(format: "%.4f", $0.element))" }.joined(separator: ", ") + ")")
            }
        }
        if json { try JSONOutput.print(.array(out)) }
    }
}
