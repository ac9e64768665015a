import Foundation
import Checkpoint
import Data
import NN
import TensorCore

/// A trained classifier ready for evaluation or prediction: the model, its class map and the image
/// preprocessing it was trained with, read from a checkpoint directory (or `…/latest`) or from an
/// exported model file alone.
public struct TrainedModel {
    /// The model, in evaluation mode.
    public let model: Sequential
    /// Its spec (what `ModelFile.export` stores).
    public let spec: ModelSpec
    /// Class names by output index; nil when the source stored none.
    public let classMap: ClassMap?
    /// The run config it was trained with (nil for a model file without one).
    public let config: RunConfig?

    /// Metadata key of an exported model file's run config JSON.
    public static let configMetadataKey = "cairn.run_config"

    /// Reads a checkpoint directory, `…/latest`, or a `.safetensors` model file written by `export`.
    public init(path: String) throws {
        let url = try FineTuner.resolve(path)
        if url.pathExtension.lowercased() == "safetensors" {
            let (model, spec) = try ModelFile.load(url)
            let meta = try SafetensorsFile(contentsOf: url).metadata ?? [:]
            self.model = model
            self.spec = spec
            classMap = try meta[FineTuner.classMapMetadataKey].map {
                try JSONDecoder().decode(ClassMap.self, from: Foundation.Data($0.utf8))
            }
            config = try meta[TrainedModel.configMetadataKey].map {
                try JSONDecoder().decode(RunConfig.self, from: Foundation.Data($0.utf8))
            }
        } else {
            let ckpt = try CheckpointStore.load(from: url)
            guard let json = ckpt.trainerState.config ?? ckpt.trainerState.extra["config"] else {
                throw TrainerError.badState(key: "\(url.path)/\(CheckpointStore.trainerStateFile): config",
                                            reason: "the checkpoint does not record its run config")
            }
            let config: RunConfig
            do { config = try json.decode(RunConfig.self) } catch {
                throw TrainerError.badState(key: "\(url.path)/\(CheckpointStore.trainerStateFile): config", reason: "\(error)")
            }
            var rng = RandomGenerator(seed: 0)
            let spec = config.modelSpec
            let model = try spec.build(rng: &rng)
            try ckpt.model.load(into: model, policy: .strict)
            self.model = model
            self.spec = spec
            self.config = config
            classMap = try FineTuner.classMap(in: ckpt.trainerState)
        }
        model.eval()
    }

    /// The image settings of the training data (nil when the model was not trained on an image folder).
    public var imageConfig: ImageFolder.Config? {
        guard let config, case let .imageFolder(s) = config.data.train else { return nil }
        return s.imageFolderConfig
    }

    /// An image folder at `root` labelled through the model's class map; a class folder the model
    /// does not know is an error naming it.
    public func folder(_ root: URL) throws -> ImageFolder {
        guard let cfg = imageConfig else {
            throw TrainerError.badState(key: "config.data.train", reason: "the model was not trained on an image folder")
        }
        let folder = try ImageFolder(root: root, config: cfg, classMap: classMap)
        if let classMap, folder.classMap.count > classMap.count {
            let unknown = folder.classMap.names[classMap.count...]
            throw TrainerError.io(path: root.path,
                                  reason: "unknown class\(unknown.count == 1 ? "" : "es") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); the model knows \(classMap.names)")
        }
        return folder
    }

    /// Mean cross-entropy, accuracy and per-class accuracy on `data`.
    public func evaluate(_ data: any Dataset, batchSize: Int = 64) throws -> EvaluationResult {
        let loader = try DataLoader(dataset: data, config: DataLoader.Config(batchSize: batchSize, shuffle: false,
                                                                            dropLast: false, prefetch: 0))
        var lossSum = 0.0, n = 0, correct = 0
        var total: [Int: Int] = [:], hits: [Int: Int] = [:]
        try GradMode.noGrad {
            while let b = try loader.next() {
                let out = model(b.inputs)
                lossSum += Double(Loss.crossEntropy(out, b.labels).item) * Double(b.count)
                n += b.count
                for (p, y) in zip(out.argmax(axis: 1).toInt64Array(), b.labelValues) {
                    total[y, default: 0] += 1
                    if Int(p) == y { correct += 1; hits[y, default: 0] += 1 }
                }
            }
        }
        var perClass: [Int: Double] = [:]
        for (k, t) in total { perClass[k] = Double(hits[k] ?? 0) / Double(t) }
        return EvaluationResult(loss: n > 0 ? lossSum / Double(n) : .nan, accuracy: n > 0 ? Double(correct) / Double(n) : nil,
                                perClass: perClass, count: n)
    }

    /// Class probabilities of each image file, preprocessed as in training (one row per image).
    public func predict(images: [URL]) throws -> [[Float]] {
        guard let cfg = imageConfig else {
            throw TrainerError.badState(key: "config.data.train", reason: "the model was not trained on an image folder")
        }
        // Reuse the exact training preprocessing by viewing the files as a one-class image folder.
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-predict-\(UUID().uuidString)")
        let cls = tmp.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: cls, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for (i, u) in images.enumerated() {
            guard FileManager.default.fileExists(atPath: u.path) else {
                throw TrainerError.io(path: u.path, reason: "no such file")
            }
            let name = String(format: "%06d-", i) + u.lastPathComponent
            try FileManager.default.createSymbolicLink(at: cls.appendingPathComponent(name), withDestinationURL: u.standardizedFileURL)
        }
        var strict = cfg
        strict.onBadImage = .error
        let folder = try ImageFolder(root: tmp, config: strict)
        var rows: [[Float]] = []
        try GradMode.noGrad {
            for i in 0..<folder.count {
                let x = try folder.example(at: i).input
                let p = model(x.reshaped([1] + x.shape)).softmax(axis: 1).toArray()
                rows.append(p)
            }
        }
        return rows
    }
}
