import ArgumentParser
import Checkpoint
import Foundation
import Training

/// `cairn eval CKPT --data FOLDER`: loss, accuracy and per-class accuracy of a trained model.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint or exported model on an image folder (labels from class-folder names).",
        discussion: """
        Class folders are matched by name through the model's class map, so a folder holding only some
        classes is scored correctly; a class the model does not know is an error.
        Examples:
          cairn eval runs/shapes/checkpoints/latest --data data/shapes/val
          cairn eval model.safetensors --data data/shapes/val --json
        """)

    @Argument(help: "Checkpoint directory, runs/x/checkpoints/latest, or a model file from `cairn export`.") var checkpoint: String
    @Option(help: "Image folder with one subfolder per class.") var data: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let m = try TrainedModel.cli(checkpoint)
        let folder = try TrainedModel.cliFolder(m, data)
        let r = try m.evaluate(folder)
        let names = folder.classMap.names
        if json {
            var per: [String: JSONValue] = [:]
            for (k, v) in r.perClass { per[names[k]] = .number(v) }
            try JSONOutput.print(.object(["loss": .number(r.loss), "accuracy": r.accuracy.map { .number($0) } ?? .null,
                                          "count": .int(Int64(r.count)), "per_class_accuracy": .object(per)]))
        } else {
            print(String(format: "examples %d  loss %.4f  accuracy %.4f", r.count, r.loss, r.accuracy ?? .nan))
            for k in r.perClass.keys.sorted() { print(String(format: "  %@ %.4f", names[k], r.perClass[k]!)) }
        }
    }
}
