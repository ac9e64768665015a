/// The `scheduler:` section: a PyTorch learning-rate scheduler, stepped once per epoch or per
/// optimizer step (`interval`).
///
/// | name | PyTorch | options (default) |
/// |---|---|---|
/// | step | StepLR | step_size (required), gamma (0.1) |
/// | multistep | MultiStepLR | milestones (required), gamma (0.1) |
/// | exponential | ExponentialLR | gamma (required) |
/// | cosine | CosineAnnealingLR | t_max (the run's length in intervals), eta_min (0) |
/// | linear | LinearLR (warm-up) | start_factor (1/3), end_factor (1), total_iters (5) |
/// | onecycle | OneCycleLR | max_lr (required), total_steps (the run's length), pct_start (0.3), anneal_strategy (cos), cycle_momentum (true), base_momentum (0.85), max_momentum (0.95), div_factor (25), final_div_factor (1e4), three_phase (false) |
/// | plateau | ReduceLROnPlateau | monitor (val_loss), mode (from monitor), factor (0.1), patience (10), threshold (1e-4), threshold_mode (rel), cooldown (0), min_lr (0), eps (1e-8) |
/// | sequential | SequentialLR | schedulers (list of the above but plateau/sequential), milestones (one fewer) |
public struct SchedulerConfig: Codable, Equatable, Sendable {
    /// When the scheduler steps.
    public enum Interval: String, Codable, Sendable, CaseIterable {
        /// After every epoch (default; plateau: after every validation).
        case epoch
        /// After every optimizer step (default for onecycle).
        case step
    }

    /// OneCycleLR's options.
    public struct OneCycle: Equatable, Sendable {
        /// Peak learning rate.
        public var maxLR: Double
        /// Total scheduler steps; nil: the run's length in `interval`s.
        public var totalSteps: Int?
        /// Fraction of the cycle spent increasing the LR.
        public var pctStart: Double = 0.3
        /// `cos` or `linear`.
        public var annealStrategy: String = "cos"
        /// Cycle momentum (or Adam's beta1) inversely to the LR.
        public var cycleMomentum: Bool = true
        /// Lower momentum bound.
        public var baseMomentum: Double = 0.85
        /// Upper momentum bound.
        public var maxMomentum: Double = 0.95
        /// initial_lr = max_lr / div_factor.
        public var divFactor: Double = 25
        /// min_lr = initial_lr / final_div_factor.
        public var finalDivFactor: Double = 1e4
        /// Use the three-phase schedule.
        public var threePhase: Bool = false
    }

    /// ReduceLROnPlateau's options.
    public struct Plateau: Equatable, Sendable {
        /// The metric stepped with (default val_loss).
        public var monitor: String = "val_loss"
        /// Whether the metric should go down or up.
        public var mode: MetricMode = .min
        /// LR multiplier on a plateau.
        public var factor: Double = 0.1
        /// Epochs without improvement before reducing.
        public var patience: Int = 10
        /// Least change that counts as improvement.
        public var threshold: Double = 1e-4
        /// `rel` or `abs`.
        public var thresholdMode: String = "rel"
        /// Epochs to wait after a reduction.
        public var cooldown: Int = 0
        /// Floor for the LR.
        public var minLR: Double = 0
        /// Smallest LR change applied.
        public var eps: Double = 1e-8
    }

    /// Which scheduler and its options.
    public indirect enum Kind: Equatable, Sendable {
        /// StepLR.
        case step(stepSize: Int, gamma: Double)
        /// MultiStepLR.
        case multiStep(milestones: [Int], gamma: Double)
        /// ExponentialLR.
        case exponential(gamma: Double)
        /// CosineAnnealingLR; `tMax` nil: the run's length in `interval`s.
        case cosine(tMax: Int?, etaMin: Double)
        /// LinearLR (linear warm-up).
        case linear(startFactor: Double, endFactor: Double, totalIters: Int)
        /// OneCycleLR.
        case oneCycle(OneCycle)
        /// ReduceLROnPlateau.
        case plateau(Plateau)
        /// SequentialLR: `schedulers[i]` runs from `milestones[i-1]`.
        case sequential(schedulers: [SchedulerConfig], milestones: [Int])

        /// The `name:` spelling.
        public var name: String {
            switch self {
            case .step: return "step"
            case .multiStep: return "multistep"
            case .exponential: return "exponential"
            case .cosine: return "cosine"
            case .linear: return "linear"
            case .oneCycle: return "onecycle"
            case .plateau: return "plateau"
            case .sequential: return "sequential"
            }
        }
    }

    /// Every `name:`.
    public static let names = ["step", "multistep", "exponential", "cosine", "linear", "onecycle", "plateau", "sequential"]

    /// The scheduler.
    public var kind: Kind
    /// When it steps (for a scheduler inside `sequential`, the outer one's interval applies).
    public var interval: Interval

    /// A scheduler; `interval` nil is `step` for onecycle and `epoch` otherwise.
    public init(_ kind: Kind, interval: Interval? = nil) {
        self.kind = kind
        if case .oneCycle = kind { self.interval = interval ?? .step } else { self.interval = interval ?? .epoch }
    }

    /// Option keys per name, in the order they are written back.
    static let options: [String: [String]] = [
        "step": ["step_size", "gamma"], "multistep": ["milestones", "gamma"], "exponential": ["gamma"],
        "cosine": ["t_max", "eta_min"], "linear": ["start_factor", "end_factor", "total_iters"],
        "onecycle": ["max_lr", "total_steps", "pct_start", "anneal_strategy", "cycle_momentum", "base_momentum",
                     "max_momentum", "div_factor", "final_div_factor", "three_phase"],
        "plateau": ["monitor", "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"],
        "sequential": ["schedulers", "milestones"],
    ]

    /// Decodes `name`, `interval`, then that scheduler's options.
    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, nested: false)
    }

    private init(from decoder: Decoder, nested: Bool) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let nameKey = AnyKey("name")
        guard let name = try c.decodeIfPresent(String.self, forKey: nameKey) else {
            throw c.missing(nameKey, "missing required key 'name' (one of \(SchedulerConfig.names.joined(separator: ", ")))")
        }
        guard let allowed = SchedulerConfig.options[name] else {
            let hint = ConfigError.closest(to: name, in: SchedulerConfig.names).map { " (did you mean '\($0)'?)" } ?? ""
            throw c.invalid(nameKey, "unknown scheduler '\(name)'\(hint); expected one of \(SchedulerConfig.names.joined(separator: ", "))")
        }
        for key in c.presentKeys where key != "name" && key != "interval" && !allowed.contains(key) {
            if SchedulerConfig.options.values.contains(where: { $0.contains(key) }) {
                throw c.invalid(AnyKey(key), "\(name) has no option '\(key)'; its options are \(allowed.joined(separator: ", "))")
            }
        }
        func opt<T: Decodable>(_ k: String, _ d: T) throws -> T { try c.value(AnyKey(k), or: d) }
        func req<T: Decodable>(_ k: String) throws -> T { try c.decode(T.self, forKey: AnyKey(k)) }
        func check(_ ok: Bool, _ k: String, _ msg: String) throws { try c.check(ok, AnyKey(k), msg) }

        let kind: Kind
        switch name {
        case "step":
            let s: Int = try req("step_size"), g: Double = try opt("gamma", 0.1)
            try check(s > 0, "step_size", "must be positive, got \(s)")
            try check(g > 0, "gamma", "must be positive, got \(g)")
            kind = .step(stepSize: s, gamma: g)
        case "multistep":
            let m: [Int] = try req("milestones"), g: Double = try opt("gamma", 0.1)
            try check(!m.isEmpty && m.allSatisfy { $0 > 0 } && zip(m, m.dropFirst()).allSatisfy { $0 < $1 }, "milestones",
                      "must be increasing positive integers, got \(m)")
            try check(g > 0, "gamma", "must be positive, got \(g)")
            kind = .multiStep(milestones: m, gamma: g)
        case "exponential":
            let g: Double = try req("gamma")
            try check(g > 0, "gamma", "must be positive, got \(g)")
            kind = .exponential(gamma: g)
        case "cosine":
            let t: Int? = try c.decodeIfPresent(Int.self, forKey: AnyKey("t_max")), e: Double = try opt("eta_min", 0.0)
            try check((t ?? 1) > 0, "t_max", "must be positive, got \(t ?? 0)")
            try check(e >= 0, "eta_min", "must be ≥ 0, got \(e)")
            kind = .cosine(tMax: t, etaMin: e)
        case "linear":
            let s: Double = try opt("start_factor", 1.0 / 3), e: Double = try opt("end_factor", 1.0), n: Int = try opt("total_iters", 5)
            try check(s > 0 && s <= 1, "start_factor", "must be in (0, 1], got \(s)")
            try check(e >= 0 && e <= 1, "end_factor", "must be in [0, 1], got \(e)")
            try check(n > 0, "total_iters", "must be positive, got \(n)")
            kind = .linear(startFactor: s, endFactor: e, totalIters: n)
        case "onecycle":
            var o = OneCycle(maxLR: try req("max_lr"))
            o.totalSteps = try c.decodeIfPresent(Int.self, forKey: AnyKey("total_steps"))
            o.pctStart = try opt("pct_start", o.pctStart)
            o.annealStrategy = try opt("anneal_strategy", o.annealStrategy)
            o.cycleMomentum = try opt("cycle_momentum", o.cycleMomentum)
            o.baseMomentum = try opt("base_momentum", o.baseMomentum)
            o.maxMomentum = try opt("max_momentum", o.maxMomentum)
            o.divFactor = try opt("div_factor", o.divFactor)
            o.finalDivFactor = try opt("final_div_factor", o.finalDivFactor)
            o.threePhase = try opt("three_phase", o.threePhase)
            try check(o.maxLR > 0, "max_lr", "must be positive, got \(o.maxLR)")
            try check((o.totalSteps ?? 1) > 0, "total_steps", "must be positive, got \(o.totalSteps ?? 0)")
            try check(o.pctStart > 0 && o.pctStart < 1, "pct_start", "must be in (0, 1), got \(o.pctStart)")
            try check(["cos", "linear"].contains(o.annealStrategy), "anneal_strategy", "must be cos or linear, got '\(o.annealStrategy)'")
            try check(o.divFactor > 0 && o.finalDivFactor > 0, "div_factor", "div_factor and final_div_factor must be positive")
            kind = .oneCycle(o)
        case "plateau":
            var p = Plateau()
            p.monitor = try opt("monitor", p.monitor)
            p.mode = try c.choice(AnyKey("mode"), or: MetricMode.inferred(for: p.monitor))
            p.factor = try opt("factor", p.factor)
            p.patience = try opt("patience", p.patience)
            p.threshold = try opt("threshold", p.threshold)
            p.thresholdMode = try opt("threshold_mode", p.thresholdMode)
            p.cooldown = try opt("cooldown", p.cooldown)
            p.minLR = try opt("min_lr", p.minLR)
            p.eps = try opt("eps", p.eps)
            try check(!p.monitor.isEmpty, "monitor", "must name a metric")
            try check(p.factor > 0 && p.factor < 1, "factor", "must be in (0, 1), got \(p.factor)")
            try check(p.patience >= 0, "patience", "must be ≥ 0, got \(p.patience)")
            try check(["rel", "abs"].contains(p.thresholdMode), "threshold_mode", "must be rel or abs, got '\(p.thresholdMode)'")
            try check(p.cooldown >= 0, "cooldown", "must be ≥ 0, got \(p.cooldown)")
            try check(p.minLR >= 0, "min_lr", "must be ≥ 0, got \(p.minLR)")
            kind = .plateau(p)
        default: // sequential
            var inner = try c.nestedUnkeyedContainer(forKey: AnyKey("schedulers"))
            var children: [SchedulerConfig] = []
            while !inner.isAtEnd {
                let d = try inner.superDecoder()
                let child = try SchedulerConfig(from: d, nested: true)
                switch child.kind {
                case .plateau, .sequential:
                    throw DecodingError.dataCorrupted(.init(codingPath: d.codingPath,
                        debugDescription: "\(child.kind.name) cannot run inside sequential (as in PyTorch's SequentialLR)"))
                default: children.append(child)
                }
            }
            let m: [Int] = try req("milestones")
            try check(children.count >= 2, "schedulers", "sequential needs at least two schedulers, got \(children.count)")
            try check(m.count == children.count - 1, "milestones",
                      "needs one milestone fewer than schedulers (\(children.count - 1)), got \(m.count)")
            try check(m.allSatisfy { $0 > 0 } && zip(m, m.dropFirst()).allSatisfy { $0 < $1 }, "milestones",
                      "must be increasing positive integers, got \(m)")
            kind = .sequential(schedulers: children, milestones: m)
        }
        let intervalKey = AnyKey("interval")
        if nested {
            try c.check(!c.contains(intervalKey), intervalKey, "a scheduler inside sequential uses the outer scheduler's interval")
            self.init(kind, interval: .epoch)
        } else {
            let interval: Interval? = c.contains(intervalKey) ? try c.choice(intervalKey, or: nil) : nil
            self.init(kind, interval: interval)
            if case .plateau = kind {
                try c.check(self.interval == .epoch, intervalKey, "plateau steps after each validation; interval must be epoch")
            }
        }
    }

    /// Encodes `name`, `interval` and every option.
    public func encode(to encoder: Encoder) throws {
        try encode(to: encoder, nested: false)
    }

    private func encode(to encoder: Encoder, nested: Bool) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        func put<T: Encodable>(_ k: String, _ v: T) throws { try c.encode(v, forKey: AnyKey(k)) }
        try put("name", kind.name)
        if !nested { try put("interval", interval) }
        switch kind {
        case let .step(s, g): try put("step_size", s); try put("gamma", g)
        case let .multiStep(m, g): try put("milestones", m); try put("gamma", g)
        case let .exponential(g): try put("gamma", g)
        case let .cosine(t, e): if let t { try put("t_max", t) }; try put("eta_min", e)
        case let .linear(s, e, n): try put("start_factor", s); try put("end_factor", e); try put("total_iters", n)
        case let .oneCycle(o):
            try put("max_lr", o.maxLR)
            if let t = o.totalSteps { try put("total_steps", t) }
            try put("pct_start", o.pctStart); try put("anneal_strategy", o.annealStrategy)
            try put("cycle_momentum", o.cycleMomentum); try put("base_momentum", o.baseMomentum)
            try put("max_momentum", o.maxMomentum); try put("div_factor", o.divFactor)
            try put("final_div_factor", o.finalDivFactor); try put("three_phase", o.threePhase)
        case let .plateau(p):
            try put("monitor", p.monitor); try put("mode", p.mode); try put("factor", p.factor); try put("patience", p.patience)
            try put("threshold", p.threshold); try put("threshold_mode", p.thresholdMode); try put("cooldown", p.cooldown)
            try put("min_lr", p.minLR); try put("eps", p.eps)
        case let .sequential(children, m):
            var list = c.nestedUnkeyedContainer(forKey: AnyKey("schedulers"))
            for child in children { try child.encode(to: list.superEncoder(), nested: true) }
            try put("milestones", m)
        }
    }
}
