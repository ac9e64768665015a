/// Why a model load under a `LoadPolicy` failed; nothing in the model was changed.
public enum LoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The policy's checks failed: each violation, and the whole report of what would have happened.
    case violations([String], report: LoadReport)
    /// A remap regular expression does not compile.
    case invalidPattern(pattern: String, reason: String)
    /// Several checkpoint keys map onto one model key after remapping.
    case duplicateKey(key: String, sources: [String])

    /// The report, for `.violations`.
    public var report: LoadReport? {
        if case .violations(_, let r) = self { return r }
        return nil
    }

    /// Every violation followed by the rendered report.
    public var description: String {
        switch self {
        case let .violations(v, report):
            return "Error(s) in loading checkpoint into model:\n" + v.map { "  - \($0)" }.joined(separator: "\n")
                + "\n" + report.rendered()
        case let .invalidPattern(p, r): return "load policy: invalid regular expression '\(p)': \(r)"
        case let .duplicateKey(k, s):
            return "load policy: checkpoint keys \(s.joined(separator: ", ")) all map to model key '\(k)'"
        }
    }
}
