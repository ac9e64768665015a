import ArgumentParser
import Checkpoint
import Data
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
        } catch let e as DataError {
            throw CLIError.badInput(PredictCommand.naming(e, images: images))
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

    /// The error's message with the temporary link `predict` reads through (`NNNNNN-name` in a
    /// scratch folder) replaced by the image path the user gave.
    static func naming(_ e: DataError, images: [String]) -> String {
        let message = "\(e)"
        guard let link = e.path, let base = link.split(separator: "/").last, base.count > 7,
              base.dropFirst(6).first == "-", let i = Int(base.prefix(6)), images.indices.contains(i) else { return message }
        return message.replacingOccurrences(of: link, with: images[i])
    }
}
