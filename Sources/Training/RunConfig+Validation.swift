import NN

/// A cross-section problem found after decoding, located by key path.
struct ConfigIssue {
    var kind: ConfigError.Kind = .invalidValue
    var path: ConfigPath
    var message: String

    init(_ path: String, _ message: String, kind: ConfigError.Kind = .invalidValue) {
        self.path = ConfigPath.parse(path) ?? ConfigPath()
        self.message = message
        self.kind = kind
    }
}

extension RunConfig {
    /// Fills in what follows from other sections: image size and channels from a `[C, H, W]`
    /// `model.input`, a random crop's size from its image size, a rehearsal folder's options from
    /// `data.train`, and a negative head index.
    mutating func fillInferredValues() {
        let input = model.input
        func fill(_ source: inout DataSourceConfig) {
            guard case var .imageFolder(f) = source else { return }
            if input.count == 3 {
                if f.size == nil { f.size = ModelSpec.Size2(input[1], input[2]) }
                if f.grayscale == nil, input[0] == 1 || input[0] == 3 { f.grayscale = input[0] == 1 }
            }
            if let s = f.size, s.h == s.w {
                f.augment = f.augment.map {
                    if case let .randomCrop(nil, p) = $0 { return .randomCrop(size: s.h, padding: p) }
                    return $0
                }
            }
            source = .imageFolder(f)
        }
        if var r = finetune?.rehearsal, case let .imageFolder(f) = r.data, f == ImageFolderSource(path: f.path),
           case var .imageFolder(t) = data.train {
            t.path = f.path
            r.data = .imageFolder(t)
            finetune?.rehearsal = r
        }
        fill(&data.train)
        if data.val != nil { fill(&data.val!) }
        if data.test != nil { fill(&data.test!) }
        if finetune?.rehearsal != nil { fill(&finetune!.rehearsal!.data) }
        if let h = finetune?.head, h.layer < 0, h.layer + model.layers.count >= 0 {
            finetune!.head!.layer = h.layer + model.layers.count
        }
    }

    /// The first inconsistency between sections, if any.
    func firstIssue() -> ConfigIssue? {
        if let i = modelIssue() ?? finetuneIssue() ?? dataIssue() ?? monitorIssue() ?? checkpointIssue() { return i }
        return nil
    }

    private static func describe(_ e: Error, layersPath: String) -> ConfigIssue {
        switch e as? ModelSpecError {
        case let .invalidInput(_, reason)?: return ConfigIssue("model.input", reason)
        case let .invalidLayer(index, kind, shape, reason)?:
            return ConfigIssue("\(layersPath)[\(index)]", "\(kind) receives per-sample shape \(shape): \(reason)")
        case let .invalidJSON(path, reason)?: return ConfigIssue("model", "\(path): \(reason)")
        case nil: return ConfigIssue("model", "\(e)")
        }
    }

    private func modelIssue() -> ConfigIssue? {
        do { _ = try model.spec.shapes() } catch { return RunConfig.describe(error, layersPath: "model.layers") }
        return nil
    }

    private func finetuneIssue() -> ConfigIssue? {
        guard let ft = finetune else { return nil }
        if let h = ft.head {
            let n = model.layers.count
            guard (0..<n).contains(h.layer) else {
                return ConfigIssue("finetune.head.layer", "is \(h.layer) but model.layers has \(n) layers (0…\(n - 1))")
            }
            guard case .linear = model.layers[h.layer] else {
                return ConfigIssue("finetune.head.layer",
                                   "model.layers[\(h.layer)] is \(model.layers[h.layer].kind), not linear; the head must be a linear layer")
            }
            do { _ = try modelSpec.shapes() } catch {
                return ConfigIssue("finetune.head.classes", "the model with a \(h.classes)-class head does not fit: \(RunConfig.describe(error, layersPath: "model.layers").message)")
            }
        }
        if case .split? = ft.lr, headLayer == nil {
            return ConfigIssue("finetune.lr", "backbone/head rates need a head: set finetune.head or end the model with a linear layer")
        }
        return nil
    }

    private func dataIssue() -> ConfigIssue? {
        var sources: [(String, DataSourceConfig, Bool)] = [("data.train", data.train, true)]
        if let v = data.val { sources.append(("data.val", v, false)) }
        if let t = data.test { sources.append(("data.test", t, false)) }
        if let r = finetune?.rehearsal { sources.append(("finetune.rehearsal.data", r.data, true)) }
        let input = model.input
        for (path, source, isTraining) in sources {
            switch source {
            case let .imageFolder(f):
                guard let size = f.size else {
                    return ConfigIssue(path, "needs size: [height, width], since model.input \(input) is not [C, H, W]", kind: .missingKey("size"))
                }
                guard let channels = f.channels else {
                    return ConfigIssue(path, "needs grayscale: true or false, since model.input \(input) does not have 1 or 3 channels",
                                       kind: .missingKey("grayscale"))
                }
                let shape = [channels, size.h, size.w]
                let fits = input.count == 3 ? shape == input : input.count == 1 && input[0] == shape.reduce(1, *)
                if !fits {
                    let what = input.count == 1 ? "\(shape.reduce(1, *)) values per image" : "examples of shape \(shape)"
                    return ConfigIssue(f.size != nil && input.count == 3 && shape[0] == input[0] ? "\(path).size" : path,
                                       "gives \(what) (\(channels == 1 ? "grayscale" : "RGB") \(size.h)×\(size.w)) but model.input is \(input)")
                }
                if let n = f.normalize, n.mean.count != channels {
                    return ConfigIssue("\(path).normalize.mean", "has \(n.mean.count) values for \(channels)-channel images")
                }
                if !isTraining, !f.augment.isEmpty {
                    return ConfigIssue("\(path).augment", "augmentation applies to training data only")
                }
                for (i, a) in f.augment.enumerated() {
                    guard case let .randomCrop(s, p) = a else { continue }
                    guard let s else {
                        return ConfigIssue("\(path).augment[\(i)]", "random_crop needs size for \(size.h)×\(size.w) images (it crops squares)")
                    }
                    if s != size.h || s != size.w {
                        return ConfigIssue("\(path).augment[\(i)]",
                            "random_crop size \(s) (padding \(p)) must equal the image size \(size.h)×\(size.w), so training and validation examples have one shape")
                    }
                }
            case .csv:
                if input.count != 1 {
                    return ConfigIssue("model.input", "is \(input), but \(path) is a CSV file, whose examples are [features]")
                }
            }
        }
        if let n = data.numClasses, let out = try? modelSpec.outputShape(), out.count == 1, out[0] != n,
           [.crossEntropy, .nll].contains(training.loss) {
            return ConfigIssue("data.num_classes", "is \(n) but the model outputs \(out[0]) class scores")
        }
        return nil
    }

    private func monitorIssue() -> ConfigIssue? {
        var monitors: [(String, String)] = []
        if let k = checkpoint.keepBest { monitors.append(("checkpoint.keep_best.monitor", k.monitor)) }
        if let e = training.earlyStopping { monitors.append(("training.early_stopping.monitor", e.monitor)) }
        if case let .plateau(p)? = scheduler?.kind { monitors.append(("scheduler.monitor", p.monitor)) }
        for (path, m) in monitors where m.hasPrefix("val_") && data.val == nil {
            return ConfigIssue(path, "monitors '\(m)', which needs validation data: set data.val")
        }
        return nil
    }
}
