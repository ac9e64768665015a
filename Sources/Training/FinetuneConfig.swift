/// The `finetune:` section, read by `cairn finetune`: which checkpoint to start from, how its
/// weights are loaded, what is frozen, the new head and per-part learning rates.
///
/// `model:` describes the base checkpoint's architecture; `head` then resizes one linear layer
/// (`RunConfig.modelSpec` is the model that is trained). Globs (`*`, `?`, `[…]`) match
/// PyTorch state-dict names such as `0.weight`.
public struct FinetuneConfig: Codable, Equatable, Sendable {
    /// A new classification head in place of a linear layer.
    public struct Head: Codable, Equatable, Sendable {
        /// Index into `model.layers` of the linear layer to replace (negative counts from the end).
        public var layer: Int
        /// Number of output classes of the new head.
        public var classes: Int
        /// Copy the old head's rows (weights and bias) for the classes both heads have, so old
        /// classes keep their scores (class-incremental fine-tuning); otherwise the head starts fresh.
        public var keepOldRows: Bool

        /// A head.
        public init(layer: Int, classes: Int, keepOldRows: Bool = false) {
            self.layer = layer
            self.classes = classes
            self.keepOldRows = keepOldRows
        }

        enum CodingKeys: String, CodingKey { case layer, classes, keepOldRows = "keep_old_rows" }

        /// Decodes; `layer` and `classes` are required.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(layer: try c.decode(Int.self, forKey: .layer), classes: try c.decode(Int.self, forKey: .classes),
                      keepOldRows: try c.value(.keepOldRows, or: false))
            try c.check(classes >= 1, .classes, "must be positive, got \(classes)")
        }
    }

    /// Learning rates for parts of the model (unmatched parameters use `optimizer.lr`).
    public enum LearningRates: Codable, Equatable, Sendable {
        /// `{backbone: x, head: y}`: the head layer's parameters at `head`, all others at `backbone`.
        case split(backbone: Double, head: Double)
        /// `[{params: [globs], lr: x}, …]`: each parameter takes the first group whose glob matches it.
        case groups([Group])

        /// One parameter group.
        public struct Group: Codable, Equatable, Sendable {
            /// Globs over parameter names.
            public var params: [String]
            /// The group's learning rate.
            public var lr: Double

            /// A group.
            public init(params: [String], lr: Double) {
                self.params = params
                self.lr = lr
            }

            enum CodingKeys: String, CodingKey { case params, lr }

            /// Decodes; `params` may be one glob or a list.
            public init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                if let one = try? c.decode(String.self, forKey: .params) { params = [one] } else {
                    params = try c.decode([String].self, forKey: .params)
                }
                lr = try c.decode(Double.self, forKey: .lr)
                try c.check(!params.isEmpty && params.allSatisfy { !$0.isEmpty }, .params, "must list at least one non-empty glob")
                try c.check(lr >= 0 && lr.isFinite, .lr, "must be a finite number ≥ 0, got \(lr)")
            }
        }

        enum SplitKeys: String, CodingKey { case backbone, head }

        /// Decodes the mapping or the list form.
        public init(from decoder: Decoder) throws {
            if let list = try? decoder.unkeyedContainer() {
                _ = list
                let groups = try [Group](from: decoder)
                guard !groups.isEmpty else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "needs at least one group"))
                }
                self = .groups(groups)
                return
            }
            let c = try decoder.container(keyedBy: SplitKeys.self)
            let b = try c.decode(Double.self, forKey: .backbone), h = try c.decode(Double.self, forKey: .head)
            try c.check(b >= 0 && b.isFinite, .backbone, "must be a finite number ≥ 0, got \(b)")
            try c.check(h >= 0 && h.isFinite, .head, "must be a finite number ≥ 0, got \(h)")
            self = .split(backbone: b, head: h)
        }

        /// Encodes the form it was written in.
        public func encode(to encoder: Encoder) throws {
            switch self {
            case let .split(b, h):
                var c = encoder.container(keyedBy: SplitKeys.self)
                try c.encode(b, forKey: .backbone)
                try c.encode(h, forKey: .head)
            case let .groups(g): try g.encode(to: encoder)
            }
        }
    }

    /// Keep or drop the base run's optimizer moments.
    public enum OptimizerState: String, Codable, Sendable, CaseIterable {
        /// Start the optimizer fresh (default).
        case reset
        /// Carry moments of parameters that are kept (by name); new ones start fresh.
        case carry
    }

    /// Mix examples of the base run's data into training to limit forgetting.
    public struct Rehearsal: Codable, Equatable, Sendable {
        /// The old examples (a bare path is an image folder read like `data.train`).
        public var data: DataSourceConfig
        /// Fraction of each epoch's examples drawn from `data`, in (0, 1).
        public var ratio: Double

        /// A rehearsal rule.
        public init(data: DataSourceConfig, ratio: Double) {
            self.data = data
            self.ratio = ratio
        }

        enum CodingKeys: String, CodingKey { case data, ratio }

        /// Decodes; both keys are required.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            data = try c.decode(DataSourceConfig.self, forKey: .data)
            ratio = try c.decode(Double.self, forKey: .ratio)
            try c.check(ratio > 0 && ratio < 1, .ratio, "must be in (0, 1), got \(ratio)")
        }
    }

    /// What a checkpoint tensor whose shape differs from the model's does.
    public enum ShapeMismatch: String, Codable, Sendable, CaseIterable {
        /// Fail the load (default).
        case error
        /// Keep the model's freshly initialized tensor.
        case skip
        /// Re-initialize the model's tensor.
        case reinitialize
    }

    /// The checkpoint to start from: a checkpoint directory, `…/latest`, a `.pth` or a `.safetensors` file.
    public var from: String
    /// Globs of checkpoint tensors to load; empty: all.
    public var select: [String]
    /// Globs of parameters to freeze (`requires_grad = False`).
    public var freeze: [String]
    /// Keep BatchNorm running statistics of frozen layers fixed (eval mode for them).
    public var freezeBatchnormStats: Bool
    /// A new head; nil: keep the model's layers as they are.
    public var head: Head?
    /// Per-part learning rates; nil: `optimizer.lr` everywhere.
    public var lr: LearningRates?
    /// Carry or reset optimizer state (default reset).
    public var optimizerState: OptimizerState
    /// Old-data rehearsal; nil: none.
    public var rehearsal: Rehearsal?
    /// L2-SP weight: `l2sp/2 · ‖w − w_pretrained‖²` over loaded, trainable backbone weights (default 0: off).
    public var l2sp: Double
    /// Fail when checkpoint and model keys differ (missing or unused keys); head tensors are exempt.
    public var strict: Bool
    /// A prefix removed from checkpoint keys (e.g. `module.`); nil: none.
    public var stripPrefix: String?
    /// A prefix added to checkpoint keys; nil: none.
    public var addPrefix: String?
    /// Exact checkpoint-key renames `{old: new}`, applied after the prefixes.
    public var rename: [String: String]
    /// Shape mismatches outside the head (default error).
    public var onShapeMismatch: ShapeMismatch

    /// A fine-tune section with the defaults.
    public init(from: String, select: [String] = [], freeze: [String] = [], freezeBatchnormStats: Bool = false, head: Head? = nil,
                lr: LearningRates? = nil, optimizerState: OptimizerState = .reset, rehearsal: Rehearsal? = nil, l2sp: Double = 0,
                strict: Bool = true, stripPrefix: String? = nil, addPrefix: String? = nil, rename: [String: String] = [:],
                onShapeMismatch: ShapeMismatch = .error) {
        self.from = from
        self.select = select
        self.freeze = freeze
        self.freezeBatchnormStats = freezeBatchnormStats
        self.head = head
        self.lr = lr
        self.optimizerState = optimizerState
        self.rehearsal = rehearsal
        self.l2sp = l2sp
        self.strict = strict
        self.stripPrefix = stripPrefix
        self.addPrefix = addPrefix
        self.rename = rename
        self.onShapeMismatch = onShapeMismatch
    }

    enum CodingKeys: String, CodingKey {
        case from, select, freeze, freezeBatchnormStats = "freeze_batchnorm_stats", head, lr, optimizerState = "optimizer_state"
        case rehearsal, l2sp, strict, stripPrefix = "strip_prefix", addPrefix = "add_prefix", rename
        case onShapeMismatch = "on_shape_mismatch"
    }

    /// Decodes and checks; `from` is required, globs may be one string or a list.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func globs(_ k: CodingKeys) throws -> [String] {
            let g: [String]
            if let one = try? c.decode(String.self, forKey: k) { g = [one] } else { g = try c.value(k, or: []) }
            try c.check(g.allSatisfy { !$0.isEmpty }, k, "globs must not be empty strings")
            return g
        }
        let from = try c.decode(String.self, forKey: .from)
        try c.check(!from.isEmpty, .from, "must name a checkpoint")
        self.init(from: from, select: try globs(.select), freeze: try globs(.freeze),
                  freezeBatchnormStats: try c.value(.freezeBatchnormStats, or: false),
                  head: try c.decodeIfPresent(Head.self, forKey: .head), lr: try c.decodeIfPresent(LearningRates.self, forKey: .lr),
                  optimizerState: try c.choice(.optimizerState, or: .reset),
                  rehearsal: try c.decodeIfPresent(Rehearsal.self, forKey: .rehearsal), l2sp: try c.value(.l2sp, or: 0.0),
                  strict: try c.value(.strict, or: true), stripPrefix: try c.decodeIfPresent(String.self, forKey: .stripPrefix),
                  addPrefix: try c.decodeIfPresent(String.self, forKey: .addPrefix), rename: try c.value(.rename, or: [:]),
                  onShapeMismatch: try c.choice(.onShapeMismatch, or: .error))
        try c.check(l2sp >= 0 && l2sp.isFinite, .l2sp, "must be a finite number ≥ 0, got \(l2sp)")
    }

    /// Encodes every key (empty lists and absent options left out).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(from, forKey: .from)
        if !select.isEmpty { try c.encode(select, forKey: .select) }
        try c.encode(freeze, forKey: .freeze)
        try c.encode(freezeBatchnormStats, forKey: .freezeBatchnormStats)
        if let head { try c.encode(head, forKey: .head) }
        if let lr { try c.encode(lr, forKey: .lr) }
        try c.encode(optimizerState, forKey: .optimizerState)
        if let rehearsal { try c.encode(rehearsal, forKey: .rehearsal) }
        try c.encode(l2sp, forKey: .l2sp)
        try c.encode(strict, forKey: .strict)
        if let stripPrefix { try c.encode(stripPrefix, forKey: .stripPrefix) }
        if let addPrefix { try c.encode(addPrefix, forKey: .addPrefix) }
        if !rename.isEmpty {
            // Sorted so the written config is stable.
            var m = c.nestedContainer(keyedBy: AnyKey.self, forKey: .rename)
            for k in rename.keys.sorted() { try m.encode(rename[k]!, forKey: AnyKey(k)) }
        }
        try c.encode(onShapeMismatch, forKey: .onShapeMismatch)
    }
}
