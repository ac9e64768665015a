import Checkpoint
import Data
import Foundation
import NN
import Optimizers
import TensorCore
import XCTest
@testable import Training

final class RunConfigTests: XCTestCase {
    /// The schema example from the project brief.
    static let briefYAML = """
    seed: 42
    model:
      input: [1, 28, 28]            # C,H,W or [features]
      layers:                       # 1:1 onto torch.nn.Sequential, so state-dict keys match
        - conv2d: {out: 16, kernel: 5, padding: 2}   # stride, bias too
        - batchnorm2d
        - relu
        - maxpool2d: 2
        - flatten
        - dropout: 0.1
        - linear: {out: 10}
    data:
      train: {image_folder: data/train, size: [28, 28], grayscale: true, rescan: every_epoch}
      val:   {image_folder: data/val, size: [28, 28], grayscale: true}
      batch_size: 32
      shuffle: true
    optimizer: {name: adam, lr: 0.001}
    scheduler: {name: cosine, t_max: 10}
    training: {epochs: 5}           # or max_steps: N
    checkpoint: {every_n_steps: 50, keep_last: 3, keep_best: {monitor: val_accuracy, mode: max, k: 1}}
    finetune:                       # for cairn finetune
      from: runs/base/checkpoints/latest
      freeze: ["0.*", "1.*"]
      head: {layer: 6, classes: 5, keep_old_rows: true}
      lr: {backbone: 0.0001, head: 0.001}
      optimizer_state: carry
      rehearsal: {data: data/old_train, ratio: 0.3}
      l2sp: 0.01

    """

    /// The smallest valid config: everything else takes its default.
    static let minimalYAML = """
    model:
      input: [1, 8, 8]
      layers: [flatten, {linear: {out: 3}}]
    data:
      train: data/train
    training: {epochs: 2}

    """

    /// Nearly every option of every section, for round trips.
    static let everythingYAML = """
    seed: 18446744073709551615
    model:
      input: [3, 16, 16]
      layers:
        - conv2d: {out: 8, kernel: [3, 5], stride: [1, 1], padding: [1, 2], dilation: 1, groups: 1, bias: false}
        - batchnorm2d: {eps: 0.001, momentum: null, affine: false, track_running_stats: true}
        - leaky_relu: 0.2
        - maxpool2d: {kernel: 2, stride: 2, padding: 0, dilation: 1, ceil_mode: true}
        - avgpool2d: {kernel: 3, stride: 1, padding: 1, count_include_pad: false, divisor_override: 4}
        - conv2d: {out: 8, kernel: 3, padding: 1, groups: 8}
        - gelu: tanh
        - adaptive_avgpool2d: [2, 2]
        - flatten: {start_dim: 1, end_dim: -1}
        - layernorm: {shape: 32, eps: 0.0001}
        - silu
        - dropout: {p: 0.25}
        - linear: {out: 16, bias: false}
        - batchnorm1d
        - tanh
        - sigmoid
        - identity
        - linear: 4
        - log_softmax: {dim: 1}
    data:
      train:
        image_folder: data/train
        rescan: every_epoch
        normalize: {mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}
        augment: {random_crop: {padding: 2}, hflip: 0.5}
        on_bad_image: error
        alpha: drop
        verify: decode
        extensions: [png]
      val: {image_folder: "data/val dir", normalize: {mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}}
      test: {image_folder: data/test}
      batch_size: 8
      eval_batch_size: 64
      shuffle: false
      drop_last: true
      prefetch: 0
      num_classes: 4
    optimizer: {name: adamw, lr: 3e-4, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.05, amsgrad: true, maximize: false}
    scheduler:
      name: sequential
      interval: step
      schedulers:
        - {name: linear, start_factor: 0.01, end_factor: 1.0, total_iters: 100}
        - {name: cosine, eta_min: 1e-6}
      milestones: [100]
    training:
      max_steps: 1000
      loss: nll
      grad_clip: {value: 0.5}
      log_every_n_steps: 5
      validate_every_n_epochs: 2
      nan_policy: skip
      early_stopping: {monitor: val_accuracy, patience: 4, min_delta: 0.001}
    checkpoint:
      every_n_steps: 100
      every_n_seconds: 600
      keep_last: null
      keep_best: {monitor: val_loss, k: 2}
      filename: "run-{epoch:03d}-{val_loss:.4f}"
      weights_only: true
      async: true
    finetune:
      from: runs/base/checkpoints/latest
      select: ["0.*", "1.*"]
      freeze: "0.*"
      freeze_batchnorm_stats: true
      head: {layer: -2, classes: 4}
      lr:
        - {params: ["0.*", "1.*"], lr: 1e-5}
        - {params: "*", lr: 1e-3}
      optimizer_state: carry
      rehearsal: {data: {image_folder: data/old, grayscale: false}, ratio: 0.25}
      l2sp: 0.5
      strict: false
      strip_prefix: module.
      add_prefix: net.
      rename: {fc.weight: 17.weight, fc.bias: 17.bias}
      on_shape_mismatch: reinitialize

    """

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func parse(_ yaml: String, _ overrides: [String] = []) throws -> RunConfig {
        try RunConfig.parse(yaml: yaml, source: "config.yaml", overrides: overrides)
    }

    /// The error `body` throws, as a `ConfigError`.
    func configError(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        do {
            _ = try body()
            XCTFail("expected a ConfigError", file: file, line: line)
        } catch let e as ConfigError {
            return e
        } catch {
            XCTFail("expected a ConfigError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// Line (1-based) of the first line of `text` containing `needle`.
    func line(of needle: String, in text: String) -> Int? {
        text.components(separatedBy: "\n").firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }

    // MARK: Every section

    func testBriefExampleParsesEverySection() throws {
        let c = try parse(Self.briefYAML)
        XCTAssertEqual(c.seed, 42)
        XCTAssertEqual(c.model.input, [1, 28, 28])
        XCTAssertEqual(c.model.layers, [
            .conv2d(outChannels: 16, kernelSize: 5, padding: 2), .batchNorm2d(), .relu, .maxPool2d(kernelSize: 2),
            .flatten(), .dropout(p: 0.1), .linear(outFeatures: 10),
        ])
        XCTAssertEqual(try c.model.spec.outputShape(), [10])
        XCTAssertEqual(c.data.train, .imageFolder(ImageFolderSource(path: "data/train", size: 28, grayscale: true, rescan: .everyEpoch)))
        XCTAssertEqual(c.data.val, .imageFolder(ImageFolderSource(path: "data/val", size: 28, grayscale: true)))
        XCTAssertEqual(c.data.batchSize, 32)
        XCTAssertTrue(c.data.shuffle)
        XCTAssertEqual(c.optimizer.name, .adam)
        XCTAssertEqual(c.optimizer.lr, 0.001)
        XCTAssertEqual(c.scheduler, SchedulerConfig(.cosine(tMax: 10, etaMin: 0)))
        XCTAssertEqual(c.scheduler?.interval, .epoch)
        XCTAssertEqual(c.training.epochs, 5)
        XCTAssertNil(c.training.maxSteps)
        XCTAssertEqual(c.checkpoint.everyNSteps, 50)
        XCTAssertNil(c.checkpoint.everyNEpochs, "an explicit trigger replaces the every-epoch default")
        XCTAssertEqual(c.checkpoint.keepLast, 3)
        XCTAssertEqual(c.checkpoint.keepBest, CheckpointConfig.KeepBest(monitor: "val_accuracy", mode: .max, k: 1))
        let ft = try XCTUnwrap(c.finetune)
        XCTAssertEqual(ft.from, "runs/base/checkpoints/latest")
        XCTAssertEqual(ft.freeze, ["0.*", "1.*"])
        XCTAssertEqual(ft.head, FinetuneConfig.Head(layer: 6, classes: 5, keepOldRows: true))
        XCTAssertEqual(ft.lr, .split(backbone: 0.0001, head: 0.001))
        XCTAssertEqual(ft.optimizerState, .carry)
        XCTAssertEqual(ft.rehearsal?.ratio, 0.3)
        // A bare rehearsal path reads like data.train, folder aside.
        XCTAssertEqual(ft.rehearsal?.data,
                       .imageFolder(ImageFolderSource(path: "data/old_train", size: 28, grayscale: true, rescan: .everyEpoch)))
        XCTAssertEqual(ft.l2sp, 0.01)
        XCTAssertEqual(c.headLayer, 6)
        XCTAssertEqual(c.modelSpec.layers[6], .linear(outFeatures: 5))
        XCTAssertEqual(try c.modelSpec.outputShape(), [5])
    }

    func testDefaults() throws {
        let c = try parse(Self.minimalYAML)
        XCTAssertEqual(c.seed, 0)
        XCTAssertEqual(c.model.inputDType, .float32)
        XCTAssertEqual(c.data.train, .imageFolder(ImageFolderSource(path: "data/train", size: 8, grayscale: true)),
                       "size and channels follow model.input")
        XCTAssertNil(c.data.val)
        XCTAssertEqual(c.data.batchSize, 32)
        XCTAssertNil(c.data.evalBatchSize)
        XCTAssertTrue(c.data.shuffle)
        XCTAssertFalse(c.data.dropLast)
        XCTAssertEqual(c.data.prefetch, 2)
        XCTAssertNil(c.data.numClasses)
        XCTAssertEqual(c.optimizer, OptimizerConfig(name: .adam))
        XCTAssertEqual(c.optimizer.lr, 1e-3)
        XCTAssertEqual(c.optimizer.betas, [0.9, 0.999])
        XCTAssertEqual(c.optimizer.eps, 1e-8)
        XCTAssertEqual(c.optimizer.weightDecay, 0)
        XCTAssertNil(c.scheduler)
        XCTAssertEqual(c.training, TrainingConfig(epochs: 2))
        XCTAssertEqual(c.training.loss, .crossEntropy)
        XCTAssertEqual(c.training.logEveryNSteps, 10)
        XCTAssertEqual(c.training.validateEveryNEpochs, 1)
        XCTAssertEqual(c.training.nanPolicy, .stop)
        XCTAssertNil(c.training.gradClip)
        XCTAssertEqual(c.checkpoint.everyNEpochs, 1, "with no trigger, save every epoch")
        XCTAssertEqual(c.checkpoint.keepLast, 3)
        XCTAssertEqual(c.checkpoint.filename, "ckpt-{epoch:04d}-{step:06d}")
        XCTAssertFalse(c.checkpoint.weightsOnly)
        XCTAssertFalse(c.checkpoint.asynchronous)
        XCTAssertNil(c.finetune)
    }

    func testOptimizerDefaultsFollowPyTorch() throws {
        func opt(_ yaml: String) throws -> OptimizerConfig { try parse(Self.minimalYAML + "optimizer: \(yaml)\n").optimizer }
        XCTAssertEqual(try opt("{name: adamw}").weightDecay, 1e-2)
        XCTAssertEqual(try opt("{name: rmsprop}").lr, 1e-2)
        XCTAssertEqual(try opt("{name: rmsprop}").alpha, 0.99)
        XCTAssertEqual(try opt("{name: adagrad}").eps, 1e-10)
        let sgd = try opt("{name: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 5e-4}")
        XCTAssertEqual(sgd.lr, 0.1)
        XCTAssertEqual(sgd.momentum, 0.9)
        XCTAssertTrue(sgd.nesterov)
        XCTAssertEqual(sgd.weightDecay, 5e-4)
    }

    func testSchedulers() throws {
        func sched(_ yaml: String) throws -> SchedulerConfig? {
            try parse(Self.minimalYAML.replacingOccurrences(of: "train: data/train", with: "train: data/train\n  val: data/val")
                      + "scheduler: \(yaml)\n").scheduler
        }
        XCTAssertEqual(try sched("{name: step, step_size: 3}"), SchedulerConfig(.step(stepSize: 3, gamma: 0.1)))
        XCTAssertEqual(try sched("{name: multistep, milestones: [2, 4], gamma: 0.5}"),
                       SchedulerConfig(.multiStep(milestones: [2, 4], gamma: 0.5)))
        XCTAssertEqual(try sched("{name: exponential, gamma: 0.9}"), SchedulerConfig(.exponential(gamma: 0.9)))
        XCTAssertEqual(try sched("{name: cosine}"), SchedulerConfig(.cosine(tMax: nil, etaMin: 0)))
        XCTAssertEqual(try sched("{name: linear}"), SchedulerConfig(.linear(startFactor: 1.0 / 3, endFactor: 1, totalIters: 5)))
        let one = try XCTUnwrap(try sched("{name: onecycle, max_lr: 0.1}"))
        XCTAssertEqual(one.interval, .step, "onecycle steps per batch by default")
        XCTAssertEqual(one.kind, .oneCycle(SchedulerConfig.OneCycle(maxLR: 0.1)))
        let plateau = try XCTUnwrap(try sched("{name: plateau, monitor: val_accuracy, patience: 2}"))
        guard case let .plateau(p) = plateau.kind else { return XCTFail("not plateau") }
        XCTAssertEqual(p.mode, .max, "mode follows the monitored metric's name")
        XCTAssertEqual(p.patience, 2)
        XCTAssertEqual(p.factor, 0.1)
        let seq = try XCTUnwrap(try sched("""
        
          name: sequential
          schedulers:
            - {name: linear, start_factor: 0.1, total_iters: 5}
            - {name: cosine, t_max: 45}
          milestones: [5]
        """))
        XCTAssertEqual(seq.kind, .sequential(schedulers: [SchedulerConfig(.linear(startFactor: 0.1, endFactor: 1, totalIters: 5)),
                                                          SchedulerConfig(.cosine(tMax: 45, etaMin: 0))], milestones: [5]))
    }

    func testCSVSourceAndLabelColumn() throws {
        let yaml = """
        model: {input: [4], layers: [{linear: 3}]}
        data:
          train: {csv: a.csv, label_column: species, delimiter: ";"}
          val: {csv: b.csv, label_column: 0, header: false}
        training: {max_steps: 10}
        """
        let c = try parse(yaml)
        XCTAssertEqual(c.data.train, .csv(CSVSource(path: "a.csv", labelColumn: .name("species"), delimiter: ";")))
        XCTAssertEqual(c.data.val, .csv(CSVSource(path: "b.csv", labelColumn: .index(0), header: false)))
        XCTAssertEqual(c.model.layers, [.linear(outFeatures: 3)])
    }

    func testExamplesParse() throws {
        let examples = Self.repoRoot.appendingPathComponent("examples")
        for name in ["shapes.yaml", "shapes_finetune.yaml", "mlp_csv.yaml"] {
            let path = examples.appendingPathComponent(name).path
            let c = try RunConfig.load(path: path)
            XCTAssertEqual(try RunConfig.parse(yaml: c.yaml(), source: name), c, "\(name) round trip")
        }
        let shapes = try RunConfig.load(path: examples.appendingPathComponent("shapes.yaml").path)
        XCTAssertEqual(try shapes.modelSpec.outputShape(), [3])
        XCTAssertEqual(shapes.data.train, .imageFolder(ImageFolderSource(path: "data/shapes/train", size: 28, grayscale: true,
                                                                          rescan: .everyEpoch)))
        let ft = try RunConfig.load(path: examples.appendingPathComponent("shapes_finetune.yaml").path)
        XCTAssertEqual(try ft.modelSpec.outputShape(), [5])
        let csv = try RunConfig.load(path: examples.appendingPathComponent("mlp_csv.yaml").path)
        XCTAssertEqual(csv.optimizer.name, .sgd)
        XCTAssertEqual(csv.training.earlyStopping?.mode, .min)
    }

    // MARK: Round trips

    func testRoundTripThroughYAML() throws {
        for (name, text) in [("brief", Self.briefYAML), ("minimal", Self.minimalYAML), ("everything", Self.everythingYAML)] {
            let c = try parse(text)
            let written = c.yaml()
            let again: RunConfig
            do { again = try RunConfig.parse(yaml: written, source: "\(name)-effective.yaml") } catch {
                return XCTFail("\(name): effective YAML does not parse: \(error)\n\(written)")
            }
            XCTAssertEqual(again, c, "\(name): yaml() → parse differs\n\(written)")
            XCTAssertEqual(again.yaml(), written, "\(name): yaml() is not stable")
        }
    }

    func testEverythingKeepsEveryOption() throws {
        let c = try parse(Self.everythingYAML)
        XCTAssertEqual(c.seed, UInt64.max)
        XCTAssertEqual(c.model.layers[0], .conv2d(outChannels: 8, kernelSize: .init(3, 5), stride: 1, padding: .init(1, 2), bias: false))
        XCTAssertEqual(c.model.layers[1], .batchNorm2d(eps: 0.001, momentum: nil, affine: false))
        XCTAssertEqual(c.model.layers[9], .layerNorm(normalizedShape: [32], eps: 0.0001))
        XCTAssertEqual(c.model.layers[17], .linear(outFeatures: 4))
        guard case let .imageFolder(train) = c.data.train else { return XCTFail("not an image folder") }
        XCTAssertEqual(train.augment, [.randomCrop(size: 16, padding: 2), .hflip(p: 0.5)], "crop size follows the image size")
        XCTAssertEqual(train.grayscale, false)
        XCTAssertEqual(c.data.val?.path, "data/val dir")
        XCTAssertEqual(c.optimizer.betas, [0.8, 0.99])
        XCTAssertEqual(c.optimizer.lr, 3e-4)
        XCTAssertEqual(c.scheduler?.interval, .step)
        XCTAssertEqual(c.training.gradClip, .value(0.5))
        XCTAssertEqual(c.training.earlyStopping?.mode, .max)
        XCTAssertNil(c.checkpoint.keepLast, "keep_last: null keeps every checkpoint")
        XCTAssertEqual(c.checkpoint.keepBest?.mode, .min)
        let ft = try XCTUnwrap(c.finetune)
        XCTAssertEqual(ft.head?.layer, 17, "a negative head index counts from the end")
        XCTAssertEqual(ft.freeze, ["0.*"], "a single glob is a list of one")
        XCTAssertEqual(ft.lr, .groups([.init(params: ["0.*", "1.*"], lr: 1e-5), .init(params: ["*"], lr: 1e-3)]))
        XCTAssertEqual(ft.rename, ["fc.weight": "17.weight", "fc.bias": "17.bias"])
        XCTAssertEqual(ft.onShapeMismatch, .reinitialize)
    }

    func testRoundTripThroughJSON() throws {
        for text in [Self.briefYAML, Self.everythingYAML] {
            let c = try parse(text)
            let json = try c.jsonData()
            XCTAssertEqual(try JSONDecoder().decode(RunConfig.self, from: json), c)
            XCTAssertEqual(try RunConfig.parse(yaml: String(decoding: json, as: UTF8.self), source: "trainer_state.json"), c,
                           "JSON is YAML, so the strict parser reads it too")
        }
    }

    func testEffectiveYAMLIsReadable() throws {
        let text = try parse(Self.briefYAML).yaml()
        XCTAssertTrue(text.hasPrefix("seed: 42\nmodel:\n  input: [1, 28, 28]\n  layers:\n"), text)
        XCTAssertTrue(text.contains("    - conv2d: {out: 16, kernel: 5, padding: 2}\n    - batchnorm2d\n    - relu\n    - maxpool2d: 2\n"), text)
        XCTAssertTrue(text.contains("    - dropout: 0.1\n    - linear: {out: 10}\n"), text)
        XCTAssertTrue(text.contains("  freeze: [\"0.*\", \"1.*\"]\n"), text)
        XCTAssertTrue(text.contains("  filename: \"ckpt-{epoch:04d}-{step:06d}\"\n"), text)
        let order = ["seed:", "model:", "data:", "optimizer:", "scheduler:", "training:", "checkpoint:", "finetune:"]
            .map { line(of: $0, in: text) ?? 0 }
        XCTAssertEqual(order, order.sorted())
    }

    // MARK: Overrides

    func testOverridesApplyBeforeValidation() throws {
        let c = try parse(Self.briefYAML, ["optimizer.lr=0.0005", "training.epochs=8", "data.train.image_folder=x",
                                           "model.layers[6].linear.out=5", "finetune.head.classes=7"])
        XCTAssertEqual(c.optimizer.lr, 0.0005)
        XCTAssertEqual(c.training.epochs, 8)
        XCTAssertEqual(c.data.train.path, "x")
        XCTAssertEqual(c.model.layers[6], .linear(outFeatures: 5))
        XCTAssertEqual(c.finetune?.head?.classes, 7)
        XCTAssertEqual(try parse(c.yaml()), c, "the effective config has the overrides")
    }

    func testOverridesCreateListsAndSections() throws {
        let c = try parse(Self.minimalYAML, ["model.layers[-1].linear.out=4", "model.input=[1, 4, 16]", "scheduler.name=step",
                                             "scheduler.step_size=2", "data.val=data/v", "model.layers[2]=relu",
                                             "checkpoint.filename='best {epoch}'", "training.max_steps=100"])
        XCTAssertEqual(c.model.layers, [.flatten(), .linear(outFeatures: 4), .relu], "[n] at the end appends")
        XCTAssertEqual(c.model.input, [1, 4, 16])
        XCTAssertEqual(c.scheduler, SchedulerConfig(.step(stepSize: 2, gamma: 0.1)))
        XCTAssertEqual(c.data.val, .imageFolder(ImageFolderSource(path: "data/v", size: .init(4, 16), grayscale: true)))
        XCTAssertEqual(c.checkpoint.filename, "best {epoch}")
        XCTAssertEqual(c.training.maxSteps, 100)
    }

    func testOverrideErrorsNameTheOverride() throws {
        let bad = configError { try self.parse(Self.briefYAML, ["training.epochs=five"]) }
        XCTAssertEqual(bad?.kind, .typeMismatch(expected: "an integer"))
        XCTAssertEqual(bad?.description, "--set training.epochs=five: training.epochs: expected an integer, got 'five'")
        XCTAssertNil(bad?.line)

        let typo = configError { try self.parse(Self.briefYAML, ["optimizer.lrr=0.1"]) }
        XCTAssertEqual(typo?.kind, .unknownKey("lrr", suggestion: "lr"))
        XCTAssertEqual(typo?.description, "--set optimizer.lrr=0.1: optimizer: unknown key 'lrr' (did you mean 'lr'?)")

        let range = configError { try self.parse(Self.briefYAML, ["model.layers[9].linear.out=5"]) }
        XCTAssertEqual(range?.kind, .badOverride)
        XCTAssertEqual(range?.keyPath, "model.layers")
        XCTAssertEqual(range?.message, "has 7 items; index 9 is out of range")

        let scalar = configError { try self.parse(Self.briefYAML, ["seed.value=1"]) }
        XCTAssertEqual(scalar?.description, "--set seed.value=1: seed: is '42', not a mapping, so it has no key 'value'")

        for malformed in ["training.epochs", "=3", "a..b=1", "a[x]=1", "[0]=1"] {
            let e = configError { try self.parse(Self.briefYAML, [malformed]) }
            XCTAssertEqual(e?.kind, .badOverride, malformed)
            XCTAssertEqual(e?.file, "--set \(malformed)")
        }
    }

    // MARK: Mistakes

    func testTypoRejectedNamingKeyAndLine() throws {
        let text = Self.briefYAML.replacingOccurrences(of: "{out: 16, kernel: 5, padding: 2}", with: "{out: 16, kernal: 5, padding: 2}")
        let e = configError { try self.parse(text) }
        XCTAssertEqual(e?.kind, .unknownKey("kernal", suggestion: "kernel"))
        XCTAssertEqual(e?.line, line(of: "kernal", in: text))
        XCTAssertEqual(e?.description, "config.yaml:\(line(of: "kernal", in: text)!): model.layers[0].conv2d: unknown key 'kernal' (did you mean 'kernel'?)")

        // An optional key's typo decodes fine, then is caught as unknown.
        let optional = Self.briefYAML.replacingOccurrences(of: "padding: 2", with: "paddng: 2")
        XCTAssertEqual(configError { try self.parse(optional) }?.message, "unknown key 'paddng' (did you mean 'padding'?)")

        let section = Self.briefYAML.replacingOccurrences(of: "optimizer:", with: "optimiser:")
        let s = configError { try self.parse(section) }
        XCTAssertEqual(s?.kind, .unknownKey("optimiser", suggestion: "optimizer"))
        XCTAssertEqual(s?.keyPath, "")
        XCTAssertEqual(s?.line, line(of: "optimiser", in: section))

        let required = Self.briefYAML.replacingOccurrences(of: "training: {epochs: 5}", with: "training: {epoch: 5}")
        XCTAssertEqual(configError { try self.parse(required) }?.description,
                       "config.yaml:\(line(of: "epoch: 5", in: required)!): training: unknown key 'epoch' (did you mean 'epochs'?)")

        let far = Self.minimalYAML + "colour: blue\n"
        XCTAssertEqual(configError { try self.parse(far) }?.kind, .unknownKey("colour", suggestion: nil))
    }

    func testWrongTypesNameKeyLineAndExpectedType() throws {
        let cases: [(String, String, String, String)] = [
            ("training: {epochs: 2}", "training: {epochs: five}", "training.epochs", "expected an integer, got 'five'"),
            ("training: {epochs: 2}", "training: {epochs: 2.5}", "training.epochs", "expected an integer, got '2.5'"),
            ("training: {epochs: 2}", "training: {epochs: \"2\"}", "training.epochs", "expected an integer, got the string \"2\""),
            ("training: {epochs: 2}", "training: {epochs: [2]}", "training.epochs", "expected an integer, got a list"),
            ("training: {epochs: 2}", "training: {epochs: 2}\noptimizer: {name: adam, lr: fast}", "optimizer.lr",
             "expected a number, got 'fast'"),
            ("training: {epochs: 2}", "training: {epochs: 2}\ndata2: 1", "", "unknown key 'data2' (did you mean 'data'?)"),
            ("train: data/train", "train: data/train\n  shuffle: yes", "data.shuffle", "expected true or false, got 'yes'"),
            ("input: [1, 8, 8]", "input: 8", "model.input", "expected a list, got '8'"),
            ("training: {epochs: 2}", "training: 2", "training", "expected a mapping, got '2'"),
        ]
        for (from, to, path, message) in cases {
            let text = Self.minimalYAML.replacingOccurrences(of: from, with: to)
            let e = configError { try self.parse(text) }
            XCTAssertEqual(e?.keyPath, path, to)
            XCTAssertEqual(e?.message, message, to)
            XCTAssertNotNil(e?.line, to)
        }
        let e = configError { try self.parse(Self.minimalYAML.replacingOccurrences(of: "{epochs: 2}", with: "{epochs: five}")) }
        XCTAssertEqual(e?.kind, .typeMismatch(expected: "an integer"))
        XCTAssertEqual(e?.description, "config.yaml:6: training.epochs: expected an integer, got 'five'")
    }

    func testInvalidValuesAndChoices() throws {
        func message(_ replace: String, _ with: String) -> String? {
            configError { try self.parse(Self.briefYAML.replacingOccurrences(of: replace, with: with)) }?.description
        }
        XCTAssertEqual(message("lr: 0.001}", "lr: -1}"), "config.yaml:17: optimizer.lr: must be a finite number ≥ 0, got -1.0")
        XCTAssertEqual(message("{name: adam, lr: 0.001}", "{name: adam, lr: 0.001, momentum: 0.9}"),
                       "config.yaml:17: optimizer.momentum: adam has no option 'momentum'; its options are lr, betas, eps, weight_decay, amsgrad, maximize")
        XCTAssertEqual(message("name: adam", "name: adan"),
                       "config.yaml:17: optimizer.name: unknown value 'adan' (did you mean 'adam'?); expected one of sgd, adam, adamw, rmsprop, adagrad")
        XCTAssertEqual(message("name: cosine", "name: cosin"),
                       "config.yaml:18: scheduler.name: unknown scheduler 'cosin' (did you mean 'cosine'?); expected one of step, multistep, exponential, cosine, linear, onecycle, plateau, sequential")
        XCTAssertEqual(message("rescan: every_epoch", "rescan: daily"),
                       "config.yaml:13: data.train.rescan: unknown value 'daily'; expected one of never, every_epoch")
        XCTAssertEqual(message("ratio: 0.3", "ratio: 1.5"), "config.yaml:27: finetune.rehearsal.ratio: must be in (0, 1), got 1.5")
        XCTAssertEqual(message("dropout: 0.1", "dropout: 1.5"),
                       "config.yaml:10: model.layers[5]: dropout receives per-sample shape [3136]: p must be in [0, 1], got 1.5")
    }

    func testUnknownLayerKind() throws {
        let text = Self.briefYAML.replacingOccurrences(of: "- conv2d:", with: "- conv2:")
        let e = configError { try self.parse(text) }
        XCTAssertEqual(e?.kind, .invalidValue)
        XCTAssertEqual(e?.keyPath, "model.layers[0]")
        XCTAssertEqual(e?.line, 5)
        XCTAssertTrue(e?.message.hasPrefix("unknown layer kind 'conv2' (did you mean 'conv2d'?); expected one of linear, conv2d,") ?? false,
                      e?.message ?? "")

        let bare = configError { try self.parse(Self.briefYAML.replacingOccurrences(of: "- relu", with: "- rellu")) }
        XCTAssertEqual(bare?.keyPath, "model.layers[2]")
        XCTAssertTrue(bare?.message.contains("did you mean 'relu'?") ?? false)

        let two = configError { try self.parse(Self.briefYAML.replacingOccurrences(of: "- batchnorm2d", with: "- {batchnorm2d: null, relu: null}")) }
        XCTAssertEqual(two?.keyPath, "model.layers[1]")
        XCTAssertTrue(two?.message.hasPrefix("a layer is one 'kind: arguments' pair, found 2 keys") ?? false)

        let args = configError { try self.parse(Self.briefYAML.replacingOccurrences(of: "- relu", with: "- relu: 3")) }
        XCTAssertEqual(args?.description, "config.yaml:7: model.layers[2].relu: relu takes no arguments")
    }

    func testMissingRequiredKeysNamed() throws {
        func missing(_ text: String) -> ConfigError? { configError { try self.parse(text) } }
        let noModel = missing("data: {train: x}\ntraining: {epochs: 1}\n")
        XCTAssertEqual(noModel?.kind, .missingKey("model"))
        XCTAssertEqual(noModel?.description, "config.yaml:1: missing required key 'model'")

        let noEpochs = missing(Self.minimalYAML.replacingOccurrences(of: "{epochs: 2}", with: "{log_every_n_steps: 5}"))
        XCTAssertEqual(noEpochs?.kind, .missingKey("epochs"))
        XCTAssertEqual(noEpochs?.description, "config.yaml:6: training: missing 'epochs' or 'max_steps' (how long to train)")

        let noOut = missing(Self.briefYAML.replacingOccurrences(of: "- linear: {out: 10}", with: "- linear"))
        XCTAssertEqual(noOut?.kind, .missingKey("out"))
        XCTAssertEqual(noOut?.keyPath, "model.layers[6]")
        XCTAssertEqual(noOut?.line, 11)

        let noKernel = missing(Self.briefYAML.replacingOccurrences(of: "kernel: 5, ", with: ""))
        XCTAssertEqual(noKernel?.description, "config.yaml:5: model.layers[0].conv2d: missing required key 'kernel'")

        XCTAssertEqual(missing(Self.minimalYAML + "optimizer: {lr: 0.1}\n")?.kind, .missingKey("name"))
        XCTAssertEqual(missing(Self.minimalYAML + "finetune: {freeze: ['0.*']}\n")?.description,
                       "config.yaml:7: finetune: missing required key 'from'")
        XCTAssertEqual(missing(Self.minimalYAML.replacingOccurrences(of: "train: data/train", with: "val: data/val"))?.kind,
                       .missingKey("train"))
        XCTAssertEqual(missing(Self.minimalYAML.replacingOccurrences(of: "train: data/train", with: "train: {size: 8}"))?.message,
                       "missing 'image_folder: <dir>' or 'csv: <file>'")
        XCTAssertEqual(missing("")?.kind, .missingKey("model"))
    }

    func testCrossSectionChecks() throws {
        func fails(_ text: String, _ overrides: [String] = []) -> ConfigError? { configError { try self.parse(text, overrides) } }
        let shape = fails(Self.briefYAML.replacingOccurrences(of: "kernel: 5, padding: 2", with: "kernel: 31"))
        XCTAssertEqual(shape?.keyPath, "model.layers[0]")
        XCTAssertEqual(shape?.line, 5)
        XCTAssertTrue(shape?.message.hasPrefix("conv2d receives per-sample shape [1, 28, 28]: ") ?? false, shape?.message ?? "")

        let head = fails(Self.briefYAML, ["finetune.head.layer=2"])
        XCTAssertEqual(head?.message, "model.layers[2] is relu, not linear; the head must be a linear layer")
        XCTAssertEqual(head?.file, "--set finetune.head.layer=2")
        XCTAssertEqual(fails(Self.briefYAML, ["finetune.head.layer=7"])?.message, "is 7 but model.layers has 7 layers (0…6)")

        let noVal = fails(Self.briefYAML.replacingOccurrences(of: "  val:   {image_folder: data/val, size: [28, 28], grayscale: true}\n", with: ""))
        XCTAssertEqual(noVal?.description,
                       "config.yaml:19: checkpoint.keep_best.monitor: monitors 'val_accuracy', which needs validation data: set data.val")

        let size = fails(Self.briefYAML, ["data.train.size=32"])
        XCTAssertEqual(size?.keyPath, "data.train.size")
        XCTAssertEqual(size?.message, "gives examples of shape [1, 32, 32] (grayscale 32×32) but model.input is [1, 28, 28]")

        let rgb = fails(Self.briefYAML, ["data.val.grayscale=false"])
        XCTAssertEqual(rgb?.keyPath, "data.val")

        let mlp = "model: {input: [64], layers: [{linear: 2}]}\ndata: {train: {image_folder: d}}\ntraining: {epochs: 1}\n"
        XCTAssertEqual(fails(mlp)?.kind, .missingKey("size"))
        XCTAssertNoThrow(try parse(mlp, ["data.train.size=8", "data.train.grayscale=true"]), "8×8 gray images flatten to 64 features")

        let csv = fails("model: {input: [1, 4, 4], layers: [flatten, {linear: 2}]}\ndata: {train: {csv: a.csv}}\ntraining: {epochs: 1}\n")
        XCTAssertEqual(csv?.keyPath, "model.input")

        let classes = fails(Self.minimalYAML, ["data.num_classes=5"])
        XCTAssertEqual(classes?.message, "is 5 but the model outputs 3 class scores")

        let valAugment = fails(Self.briefYAML, ["data.val.augment={hflip: 0.5}"])
        XCTAssertEqual(valAugment?.message, "augmentation applies to training data only")

        let crop = fails(Self.briefYAML, ["data.train.augment=[{random_crop: {size: 24, padding: 0}}]"])
        XCTAssertEqual(crop?.keyPath, "data.train.augment[0]")

        let nesterov = fails(Self.minimalYAML + "optimizer: {name: sgd, nesterov: true}\n")
        XCTAssertEqual(nesterov?.keyPath, "optimizer.nesterov")

        let plateauInSequential = fails(Self.minimalYAML + """
        scheduler:
          name: sequential
          schedulers: [{name: linear}, {name: plateau}]
          milestones: [3]

        """)
        XCTAssertEqual(plateauInSequential?.keyPath, "scheduler.schedulers[1]")
        XCTAssertEqual(fails(Self.minimalYAML + "scheduler: {name: sequential, schedulers: [{name: linear}, {name: cosine}], milestones: [3, 4]}\n")?
            .message, "needs one milestone fewer than schedulers (1), got 2")
    }

    // MARK: Hostile input

    func testAliasBombRejectedBeforeExpansion() throws {
        // The "billion laughs": 9 levels of 9 aliases expand to 9^9 strings if anything expands them.
        var bomb = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 { bomb += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n" }
        let e = configError { try self.parse(bomb) }
        XCTAssertEqual(e?.kind, .unsupported)
        XCTAssertEqual(e?.line, 1, "refused at the first anchor")
        XCTAssertTrue(e?.message.contains("anchors (&a0)") ?? false, e?.message ?? "")

        // An alias as a mapping key would be hashed whole by a composer; the reader refuses it first.
        let keyBomb = configError { try self.parse("x: 1\n? *k\n: 1\n") }
        XCTAssertEqual(keyBomb?.kind, .unsupported)
        XCTAssertEqual(keyBomb?.line, 2)

        let merge = configError { try self.parse(Self.minimalYAML + "base: &b {lr: 1}\noptimizer: {<<: *b, name: sgd}\n") }
        XCTAssertEqual(merge?.kind, .unsupported)
    }

    func testSizeDepthAndCountLimits() throws {
        let big = Self.minimalYAML + "# " + String(repeating: "x", count: 1 << 20) + "\n"
        XCTAssertEqual(configError { try self.parse(big) }?.kind, .limit)

        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let d = configError { try self.parse("x: " + deep) }
        XCTAssertEqual(d?.kind, .limit)
        XCTAssertEqual(d?.message, "nesting is deeper than 32 levels")

        let many = "x: [" + Array(repeating: "0", count: 200).joined(separator: ",") + "]\n"
        let n = configError { try RunConfig.parse(yaml: many, limits: ConfigLimits(maxNodes: 100)) }
        XCTAssertEqual(n?.kind, .limit)
    }

    func testUnsupportedYAMLFeatures() throws {
        XCTAssertEqual(configError { try self.parse(Self.minimalYAML + "seed: !!python/object:os.system 1\n") }?.kind, .unsupported)
        XCTAssertEqual(configError { try self.parse(Self.minimalYAML + "---\nseed: 1\n") }?.kind, .unsupported)
        XCTAssertEqual(configError { try self.parse(Self.minimalYAML + "? [a, b]\n: 1\n") }?.kind, .unsupported)
        let dup = configError { try self.parse(Self.minimalYAML + "seed: 1\nseed: 2\n") }
        XCTAssertEqual(dup?.kind, .duplicateKey("seed"))
        XCTAssertEqual(dup?.line, 8)
        XCTAssertEqual(configError { try self.parse("- a\n- b\n") }?.kind, .typeMismatch(expected: "a mapping"))
    }

    func testSyntaxErrorNamesLine() throws {
        let e = configError { try self.parse("model:\n  input: [1, 2\ndata: x\n") }
        XCTAssertEqual(e?.kind, .syntax)
        XCTAssertNotNil(e?.line)
        XCTAssertTrue(e?.description.hasPrefix("config.yaml:") ?? false)
    }

    func testBuildsOptimizerAndScheduler() throws {
        let c = try parse(Self.minimalYAML + """
        optimizer: {name: sgd, lr: 0.1, momentum: 0.9}
        scheduler:
          name: sequential
          schedulers: [{name: linear, start_factor: 0.5, total_iters: 2}, {name: cosine}]
          milestones: [2]

        """)
        let optimizer = c.optimizer.makeOptimizer([("w", Parameter(Tensor([1, 2], shape: [2])))])
        XCTAssertTrue(optimizer is SGD)
        XCTAssertEqual(optimizer.paramGroups[0].double("momentum"), 0.9)
        XCTAssertEqual(c.schedulerIntervals(stepsPerEpoch: 10), 2, "2 epochs")
        let scheduler = try XCTUnwrap(c.scheduler).makeScheduler(optimizer: optimizer, totalIntervals: c.schedulerIntervals(stepsPerEpoch: 10))
        XCTAssertTrue(scheduler is SequentialLR)
        XCTAssertEqual(scheduler.lastLR[0], 0.05, accuracy: 1e-12, "linear warm-up starts at start_factor × lr")

        let adamw = try parse(Self.minimalYAML + "optimizer: {name: adamw, betas: [0.8, 0.9]}\n").optimizer.makeOptimizer(
            [("w", Parameter(Tensor([1], shape: [1])))])
        XCTAssertTrue(adamw is AdamW)
        XCTAssertEqual(adamw.paramGroups[0].double("weight_decay"), 0.01)
        XCTAssertEqual(adamw.paramGroups[0].pair("betas").0, 0.8)

        let steps = try parse(Self.minimalYAML, ["training.max_steps=15", "scheduler.name=cosine", "scheduler.interval=step"])
        XCTAssertEqual(steps.schedulerIntervals(stepsPerEpoch: 10), 15, "max_steps ends the run before 2 epochs")
    }

    func testBridgesToDataAndCheckpoint() throws {
        let c = try parse(Self.everythingYAML)
        guard case let .imageFolder(train) = c.data.train else { return XCTFail("not an image folder") }
        XCTAssertEqual(train.imageFolderConfig, ImageFolder.Config(
            height: 16, width: 16, color: .rgb, normalization: Normalization(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]),
            onBadImage: .error, alpha: .drop, verify: .decode, extensions: ["png"]))
        XCTAssertEqual(train.augmentations, [.randomCrop(size: 16, padding: 2), .horizontalFlip(probability: 0.5)])
        XCTAssertEqual(CSVSource(path: "a.csv", labelColumn: .name("y")).csvLabelColumn, .name("y"))

        let brief = try parse(Self.briefYAML)
        XCTAssertEqual(brief.checkpoint.saveSchedule.everyNSteps, 50)
        XCTAssertEqual(brief.checkpoint.saveSchedule.onImprovement, MetricMonitor("val_accuracy", mode: .max))
        XCTAssertEqual(brief.checkpoint.retentionPolicy,
                       RetentionPolicy(keepLast: 3, keepBest: .init(MetricMonitor("val_accuracy", mode: .max), count: 1)))
        XCTAssertEqual(try brief.checkpoint.filenameTemplate().fields, ["epoch", "step"])

        let bad = configError { try self.parse(Self.briefYAML, ["checkpoint.filename=ckpt-{epoch"]) }
        XCTAssertEqual(bad?.keyPath, "checkpoint.filename")
        XCTAssertEqual(bad?.file, "--set checkpoint.filename=ckpt-{epoch")
    }

    func testValidateForConfigsBuiltInCode() throws {
        var c = try parse(Self.minimalYAML)
        XCTAssertNoThrow(try c.validate())
        c.model.layers = [.conv2d(outChannels: 2, kernelSize: 9)]
        XCTAssertThrowsError(try c.validate()) { error in
            XCTAssertEqual((error as? ConfigError)?.keyPath, "model.layers[0]")
        }
    }
}
