import Foundation
import TensorCore
import NN

/// A self-describing model file: one safetensors file whose `__metadata__` holds the `ModelSpec`
/// (under `cairn.model_spec`) next to the weights, so the model can be rebuilt without code or a
/// separate config (like a Keras SavedModel, minus the code). Other safetensors readers see an
/// ordinary PyTorch-keyed file (`format: pt`).
public enum ModelFile {
    /// Metadata key of the spec's JSON.
    public static let specKey = "cairn.model_spec"
    /// Metadata key of the toolkit version.
    public static let versionKey = "cairn.version"

    /// Writes `model`'s weights and `spec` (plus `extraMetadata`, e.g. a class map) to `url`; throws when the
    /// model does not have exactly the state-dict keys, shapes and dtypes the spec builds.
    public static func export(model: Sequential, spec: ModelSpec, to url: URL, extraMetadata: [String: String] = [:],
                              fsync: Bool = true) throws {
        var rng = RandomGenerator(seed: 0)
        let skeleton = try spec.build(rng: &rng)
        let diff = ArchitectureFingerprint(model: skeleton).diff(ArchitectureFingerprint(model: model))
        let keyDiffers = !diff.added.isEmpty || !diff.removed.isEmpty || !diff.shapeChanged.isEmpty || !diff.dtypeChanged.isEmpty
        guard !keyDiffers else {
            throw CheckpointError.inconsistent(file: url.path, key: specKey,
                                               reason: "the model does not match its spec (spec → model):\n\(diff)")
        }
        let json = String(decoding: try spec.jsonData(), as: UTF8.self)
        let metadata = extraMetadata.merging(["format": "pt", specKey: json, versionKey: CheckpointVersion.toolkit]) { $1 }
        do {
            try Safetensors.write(model.stateDict().pairs.map { (name: $0.0, tensor: $0.1) }, metadata: metadata,
                                  to: url, fsync: fsync)
        } catch let e as SafetensorsError { throw CheckpointError.safetensors(e) }
    }

    /// The spec stored in `url`, without reading any tensor.
    public static func readSpec(_ url: URL) throws -> ModelSpec {
        try spec(of: try open(url), url: url)
    }

    /// Rebuilds the model from the file alone: the spec builds the layers (Dropout generators are
    /// seeded with 0) and the weights load strictly. The model is in training mode, as built.
    public static func load(_ url: URL, device: Device = .cpu) throws -> (Sequential, ModelSpec) {
        let file = try open(url)
        let spec = try spec(of: file, url: url)
        var rng = RandomGenerator(seed: 0)
        let model: Sequential
        do { model = try spec.build(rng: &rng) } catch let e as ModelSpecError {
            throw CheckpointError.inconsistent(file: url.path, key: specKey, reason: e.description)
        }
        var sd = StateDict()
        do {
            for name in file.names { sd[name] = try file.tensor(name) }
        } catch let e as SafetensorsError { throw CheckpointError.safetensors(e) }
        try sd.load(into: model, policy: .strict, device: device)
        return (model, spec)
    }

    private static func open(_ url: URL) throws -> SafetensorsFile {
        do { return try SafetensorsFile(contentsOf: url) } catch let e as SafetensorsError {
            throw CheckpointError.safetensors(e)
        }
    }

    private static func spec(of file: SafetensorsFile, url: URL) throws -> ModelSpec {
        guard let json = file.metadata?[specKey] else {
            throw CheckpointError.badJSON(file: url.path, key: "__metadata__.\(specKey)",
                                          reason: "missing: not a Cairn model file (export it with ModelFile.export)")
        }
        do { return try ModelSpec.decode(json: Data(json.utf8)) } catch let ModelSpecError.invalidJSON(path, reason) {
            throw CheckpointError.badJSON(file: url.path, key: "__metadata__.\(specKey)" + (path.isEmpty ? "" : ".\(path)"),
                                          reason: reason)
        }
    }
}
